/* SPDX-License-Identifier: GPL-2.0 */
/* libsynguard: the whole library, for the two binaries and the tests.
 * Its modules form layers that only call down, each with its own header
 * (the header's first comment says what the module owns); within the
 * library, include the module headers themselves (tools/layers.py checks):
 *
 *   util                          logging, names, options, errors
 *   config, maps                  host facts and port lists; pinned objects
 *   policy, secrets, listen, addrs, settings, reconcile, filter
 *                                 what synguard knows and decides
 *   format, metrics, events, tune, policy_cli, state, explain
 *                                 humans, JSON, Prometheus
 *   load, daemon                  attaching, the daemon's life
 */
#ifndef LIBSYNGUARD_H
#define LIBSYNGUARD_H

#include "libsg_util.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_addrs.h"
#include "libsg_listen.h"
#include "libsg_reconcile.h"
#include "libsg_secrets.h"
#include "libsg_policy.h"
#include "libsg_settings.h"
#include "libsg_metrics.h"
#include "libsg_format.h"
#include "libsg_events.h"
#include "libsg_tune.h"
#include "libsg_state.h"
#include "libsg_filter.h"
#include "libsg_explain.h"
#include "libsg_policy_cli.h"
#include "libsg_load.h"
#include "libsg_daemon.h"

#endif /* LIBSYNGUARD_H */
