#!/usr/bin/env bash
# The DaemonSet and ConfigMap of deploy/kubernetes, without a cluster (none
# is at hand, and kubectl's --dry-run=client still asks an API server for
# its resource list): every field is checked against the Kubernetes API's
# own models (python3-kubernetes, tests/tools/k8s_check.py; shown to catch
# a misspelt field, a wrong type and a missing required field), then what
# the DaemonSet relies on: host network, the two capabilities, the host's
# bpffs, /healthz probes and scrape annotations on the --metrics port,
# resources, the ConfigMap's keys; the config parses and the container's
# arguments are accepted by synguardd. Then the pod as a container runtime
# would run it (podman, the image of make image, the DaemonSet's
# securityContext, volumes and arguments): a restart keeps protection -
# XDP stays attached while no pod runs, the next one takes the programs
# and the counters over.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" py:yaml py:kubernetes
K=deploy/kubernetes
out=$($LAB_PY tests/tools/k8s_check.py $K/*.yaml 2>&1); rc=$?
expect "kubernetes: the manifests match the API's models ($(echo "$out" | grep -c ' ok ') objects)$( [ $rc -eq 0 ] || echo "$out" | head -n 3 | tr '\n' '|')" "$rc" -eq 0
# the checker catches what it is for
sed 's/hostNetwork:/hostNetwrk:/; s/containerPort: 9810/containerPort: "9810"/' $K/daemonset.yaml >"$LAB_TMP/bad.yaml"
expect "kubernetes: ...a misspelt field and a string port are caught" \
	"$($LAB_PY tests/tools/k8s_check.py "$LAB_TMP/bad.yaml" | grep -c -e 'no such field' -e 'int expected')" -eq 2
sed '/^  selector:/,/^  updateStrategy:/{/^  updateStrategy:/!d}' $K/daemonset.yaml >"$LAB_TMP/bad2.yaml"
check "kubernetes: ...and a missing required field (spec.selector)" \
	bash -c "$LAB_PY tests/tools/k8s_check.py $LAB_TMP/bad2.yaml | grep -q 'selector.*must not be'"

# what matters, field by field; prints "name: value" lines for the checks
$LAB_PY tests/tools/k8s_facts.py $K/daemonset.yaml $K/configmap.yaml "$LAB_TMP" >"$LAB_TMP/facts"
fact() { sed -n "s/^$1: //p" "$LAB_TMP/facts"; }
expect "kubernetes: hostNetwork" "$(fact hostNetwork)" = True
expect "kubernetes: capabilities: drop ALL, add NET_ADMIN and SYS_ADMIN only; not privileged" \
	"$(fact caps)/$(fact privileged)" = "NET_ADMIN SYS_ADMIN drop ALL/False"
expect "kubernetes: the host's /sys/fs/bpf mounted at /sys/fs/bpf (pins outlive the pod)" "$(fact bpffs)" = /sys/fs/bpf
expect "kubernetes: liveness probe: GET /healthz on the --metrics port" "$(fact livenessProbe)" = "/healthz True"
expect "kubernetes: readiness probe: GET /healthz on the --metrics port" "$(fact readinessProbe)" = "/healthz True"
expect "kubernetes: scrape annotations name the --metrics port and /metrics" "$(fact scrape)" = "true True /metrics"
expect "kubernetes: cpu and memory requests" "$(fact requests)" = True
expect "kubernetes: the selector matches the pod's labels" "$(fact selector)" = True
expect "kubernetes: every ConfigMap key the pod reads exists" "$(fact "configmap keys")" = True
expect "kubernetes: a read-only root filesystem" "$(fact readonly)" = True
args=$(fact args)
out=$("$LAB_DAEMON" $(echo "$args" | sed "s|/etc/synguard/synguard.conf|$LAB_TMP/synguard.conf|") --check 2>&1); rc=$?
expect "kubernetes: synguardd accepts the container's arguments and the ConfigMap's config ($args)$( [ $rc -eq 0 ] || echo ": $out" | tail -n 1)" "$rc" -eq 0
expect "kubernetes: ...which keeps the programs attached across a pod restart" \
	"$(echo "$out" | awk '$1 == "keep_attached" {print $2}')" = yes

# ---- the pod, as a container runtime runs it --------------------------------
if ! command -v podman >/dev/null || ! podman image exists localhost/synguard:latest; then
	skip "kubernetes: a pod restart keeps protection" "no image: make image (tests/integration/image.sh)"
	lab_finish
fi
NAME=sg-k8$$
trap 'podman rm -f "$NAME" >/dev/null 2>&1; lab_cleanup' EXIT
lab_up "$NAME" 123 >/dev/null || { fail "kubernetes: lab setup"; exit 1; }
mkdir -p "$LAB_TMP/etc" "$LAB_TMP/run"
cp "$LAB_TMP/synguard.conf" "$LAB_TMP/etc/"
# the DaemonSet's pod: its capabilities, read-only root, no new privileges,
# volumes and arguments (the lab's interface and address for the node's)
pod() {
	podman --runtime runc run -d --name "$NAME" --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 \
		--network ns:/run/netns/"$LAB_SRV" --cap-drop all --cap-add SYS_ADMIN --cap-add NET_ADMIN \
		--read-only --security-opt no-new-privileges \
		-v "$LAB_BPFFS:/sys/fs/bpf" -v "$LAB_TMP/run:/run/synguard" -v "$LAB_TMP/etc:/etc/synguard:ro" \
		localhost/synguard:latest $(echo "$args" | sed "s/-i [^ ]*/-i $LAB_SIF/; s/198.18.123.1/$LAB_S4/") >/dev/null
	for _ in $(seq 100); do
		podman logs "$NAME" 2>&1 | grep -q "synguardd running on $LAB_SIF" && return 0
		sleep 0.1
	done
	return 1
}
healthz() { lsrv curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$LAB_S4:9810/healthz"; }
if ! pod; then
	fail "kubernetes: the pod starts (read-only root, the DaemonSet's volumes and arguments)" \
		"$(podman logs "$NAME" 2>&1 | tail -n 1)"
	lab_finish
fi
ok "kubernetes: the pod starts (read-only root, the DaemonSet's volumes and arguments)"
expect "kubernetes: its probe answers 200 on the node's address" "$(healthz)" = 200
lab_bg lsrv $LAB_PY tests/tools/tcpinfo_server.py 8080 -n 0 -t 60 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
lcli timeout 20 $LAB_PY tests/tools/tcpinfo_client.py "$LAB_S4" 8080 -n 5 -b 1000 -q >/dev/null
passed=$(sg_counter syn_passed)
podman stop -t 10 "$NAME" >/dev/null; podman rm -f "$NAME" >/dev/null
check "kubernetes: with no pod running, XDP stays attached (keep_attached)" lab_xdp_attached
pod || fail "kubernetes: the next pod starts"
check "kubernetes: the next pod takes the attached program over" \
	bash -c "podman logs $NAME 2>&1 | grep -q 'replaced the XDP program left attached'"
expect "kubernetes: ...and the counters (syn_passed $passed before)" "$(sg_counter syn_passed)" -ge "$passed"
expect "kubernetes: ...its probe answers 200" "$(healthz)" = 200
podman stop -t 10 "$NAME" >/dev/null; podman rm -f "$NAME" >/dev/null
lsrv "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >/dev/null 2>&1
check "kubernetes: synguard detach removes it from the node" \
	bash -c "! nsenter --net=/run/netns/$LAB_SRV ip -d link show dev $LAB_SIF | grep -q prog/xdp"
lab_finish
