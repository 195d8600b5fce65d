/* SPDX-License-Identifier: GPL-2.0 */
/* sg_bench flood (flood.c): the end-to-end benchmark's flood generator. */
#ifndef SG_BENCH_FLOOD_H
#define SG_BENCH_FLOOD_H

int flood_main(int argc, char **argv);

#endif
