/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_policy_cli: the allow, deny and top commands, which show the
 * policy module's lists and summaries and change the lists through the
 * settings. */
#ifndef LIBSG_POLICY_CLI_H
#define LIBSG_POLICY_CLI_H

#include "libsg_maps.h"
#include "libsg_policy.h"

/* allow|deny add|del|list|flush */
struct sg_policy_cmd {
	enum sg_action act;
	const char *op; /* add, del, list, flush                 */
	char **args;    /* the prefixes                          */
	int nargs;
	bool learned, json;
	bool force; /* deny add: no lockout check            */
};
/* true, with one line naming --force, when new holds a prefix old does
 * not whose denial drops every source or a management session's client:
 * the check of deny add, for `synguard set deny.prefixes=...`. */
bool sg_deny_adds_lockout(const struct sg_plist *old, const struct sg_plist *new);
int sg_cmd_policy(struct sg_view *v, const struct sg_policy_cmd *pc);
int sg_cmd_top(struct sg_view *v, unsigned int n, bool json);

#endif /* LIBSG_POLICY_CLI_H */
