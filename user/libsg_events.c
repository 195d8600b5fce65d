// SPDX-License-Identifier: GPL-2.0
/* synguard events: the data path's sampled decisions, live, one line (or
 * JSON object) each, like conntrack -E. While it runs it holds the lease
 * (sg_config's events_until_ns), renewed every second; the data path
 * samples only under a lease, so a reader that is killed stops the
 * sampling on its own within SG_EVENTS_LEASE_NS. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "libsg_events.h"
#include "libsg_maps.h"
#include "libsg_policy.h"
#include "libsg_secrets.h"
#include "libsg_filter.h"

static volatile sig_atomic_t sg_events_stop;

static void sg_events_signal(int sig)
{
	(void)sig;
	sg_events_stop = 1;
}

struct sg_events_out {
	bool json, discard;
	__u64 mono0, real0; /* the clocks at one instant              */
	unsigned long long n;
	const struct sg_filter *filter; /* what is printed */
};

static const char *sg_verdict_name(unsigned int v)
{
	static const char *const names[] = { "aborted", "drop", "pass", "tx", "redirect" };

	return v < 5 ? names[v] : "?";
}

/* "SYN,ACK" */
static void sg_flags_format(char *buf, size_t n, __u8 f)
{
	static const char *const names[8] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
	};
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < 8 && len < n; i++)
		if (f & (1u << i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "",
						names[i]);
}

static int sg_event_print(void *ctx, void *data, size_t size)
{
	struct sg_events_out *o = ctx;
	const struct sg_event *e = data;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[40], when[48];
	__u64 real = o->real0 + (__u64)((__s64)e->time_ns - (__s64)o->mono0);
	time_t secs = (time_t)(real / SG_NS);
	const char *reason;
	struct tm tm;

	if (o->discard || size < sizeof(*e) || !sg_filter_event(o->filter, e))
		return 0;
	reason = e->reason < SG_CNT_MAX ? sg_counter_names[e->reason] : "?";
	sg_addr_format(src, sizeof(src), e->family, e->saddr);
	sg_addr_format(dst, sizeof(dst), e->family, e->daddr);
	sg_flags_format(flags, sizeof(flags), e->tcp_flags);
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06llu",
		 (unsigned long long)(real % SG_NS / 1000));
	if (o->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "time", json_object_new_string(when));
		json_object_object_add(j, "verdict",
				       json_object_new_string(sg_verdict_name(e->verdict)));
		json_object_object_add(j, "would", json_object_new_boolean(e->flags & SG_EV_WOULD));
		json_object_object_add(j, "reason", json_object_new_string(reason));
		json_object_object_add(j, "family", json_object_new_int(e->family));
		json_object_object_add(j, "saddr", json_object_new_string(src));
		json_object_object_add(j, "sport", json_object_new_int(e->sport));
		json_object_object_add(j, "daddr", json_object_new_string(dst));
		json_object_object_add(j, "dport", json_object_new_int(e->dport));
		json_object_object_add(j, "flags", json_object_new_string(flags));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		printf(e->family == 6 ? "%s %s%-4s %-24s [%s]:%u -> [%s]:%u %s\n"
				      : "%s %s%-4s %-24s %s:%u -> %s:%u %s\n",
		       when, e->flags & SG_EV_WOULD ? "would " : "", sg_verdict_name(e->verdict),
		       reason, src, e->sport, dst, e->dport, flags);
	}
	o->n++;
	return 0;
}

static void sg_events_take_lease(struct sg_view *v, __u64 until)
{
	__atomic_store_n(&v->pins->cfg->events_until_ns, until, __ATOMIC_RELAXED);
}

int sg_cmd_events(struct sg_view *v, const struct sg_filter *f, bool json)
{
	struct sigaction sa = { .sa_handler = sg_events_signal };
	struct sg_events_out o = { .json = json, .discard = true, .filter = f };
	struct ring_buffer *rb;
	__u64 renew = 0, until = 0;
	int ret = SG_EXIT_OK;
	struct timespec t;

	/* no SA_RESTART: the poll ends at ^C; a closed pipe is a write error */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rb = ring_buffer__new(v->pins->events_fd, sg_event_print, &o, NULL);
	if (!rb) {
		sg_err("cannot read the events ring buffer: %s", strerror(errno));
		return SG_EXIT_FAIL;
	}
	/* what an earlier reader left is not news */
	ring_buffer__consume(rb);
	o.discard = false;
	if (!json && isatty(STDOUT_FILENO))
		fprintf(stderr, "%s: sampled decisions, at most events.rate a second (^C ends)\n",
			v->pins->iface);
	while (!sg_events_stop) {
		int r;

		if (sg_now_ns() >= renew) {
			until = sg_coarse_now_ns() + SG_EVENTS_LEASE_NS;
			sg_events_take_lease(v, until);
			renew = sg_now_ns() + SG_NS;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		o.mono0 = (__u64)t.tv_sec * SG_NS + (__u64)t.tv_nsec;
		o.real0 = sg_realtime_ns();
		r = ring_buffer__poll(rb, 200);
		if (r < 0 && r != -EINTR) {
			sg_err("reading events: %s", strerror(-r));
			ret = SG_EXIT_FAIL;
			break;
		}
		if (fflush(stdout) || ferror(stdout)) {
			if (errno != EPIPE) {
				sg_err("writing events: %s", strerror(errno));
				ret = SG_EXIT_FAIL;
			}
			break;
		}
	}
	/* the lease ends with us, unless another reader took it meanwhile */
	__atomic_compare_exchange_n(&v->pins->cfg->events_until_ns, &until, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	ring_buffer__free(rb);
	return ret;
}
