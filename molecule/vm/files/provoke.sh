#!/bin/sh
# The kills of the VM scenario's verify, one after the other, on this VM (run
# by verify.yml with ansible.builtin.script: plain sh, no Python module run).
# Prints KEY=VALUE lines for the assertions; oom_facts is run afterwards.
#  b. systemd-oomd: 200 MiB written under MemoryHigh=40M in oomtest.slice
#     (ManagedOOMMemoryPressure=kill, limit 10%, 2 s): pages go to swap, the
#     slice stays under pressure, systemd-oomd kills the unit's cgroup.
#  c. the kernel: a unit outgrows MemoryMax=48M; then oomtest-batch.service
#     (three processes, OOMPolicy=kill so memory.oom.group=1) outgrows 64M.
#  e. a global OOM with swap off: oomtest-db.service (oom_score_adj -900)
#     holds 300 MiB, by far the largest process, and an unprotected allocator
#     grows until the kernel kills.
set -u
alloc=/usr/local/bin/oomtest-alloc

# wait_stopped UNIT SECONDS: until UNIT is neither active nor (de)activating.
wait_stopped() {
    n=$2
    while [ "$n" -gt 0 ]; do
        case $(systemctl show --value -p ActiveState "$1") in
            active|activating|deactivating|reloading) sleep 1; n=$((n - 1)) ;;
            *) return 0 ;;
        esac
    done
    echo "timeout.$1=1"
}
# show PREFIX UNIT: its state, result and main pid.
show() {
    echo "$1.state=$(systemctl show --value -p ActiveState "$2")"
    echo "$1.result=$(systemctl show --value -p Result "$2")"
    echo "$1.pid=$(systemctl show --value -p ExecMainPID "$2")"
}

# A failed transient unit stays loaded: forget those of an earlier run.
systemctl reset-failed oomtest-pressure.service oomtest-memcg.service oomtest-global.service \
    oomtest-batch.service 2>/dev/null
rm -f /run/oomtest-batch.go /run/oomtest-db.grow
swapon -a 2>/dev/null

# --- b --------------------------------------------------------------------
systemd-run --quiet --unit=oomtest-pressure --slice=oomtest.slice -p MemoryHigh=40M -- \
    "$alloc" --mb 200 --step 4 --touch
wait_stopped oomtest-pressure.service 300
show pressure oomtest-pressure.service

# --- c --------------------------------------------------------------------
systemd-run --quiet --unit=oomtest-memcg -p MemoryMax=48M -- "$alloc"
wait_stopped oomtest-memcg.service 120
show memcg oomtest-memcg.service

cg=/sys/fs/cgroup/system.slice/oomtest-batch.service
systemctl restart oomtest-batch.service
n=60
while [ "$(wc -l <"$cg/cgroup.procs" 2>/dev/null || echo 0)" -lt 3 ] && [ $n -gt 0 ]; do sleep 1; n=$((n - 1)); done
echo "batch.procs=$(sort -n "$cg/cgroup.procs" | tr '\n' ' ')"
echo "batch.oom_group=$(cat "$cg/memory.oom.group")"
touch /run/oomtest-batch.go
wait_stopped oomtest-batch.service 120
show batch oomtest-batch.service
rm -f /run/oomtest-batch.go

# --- e --------------------------------------------------------------------
db=$(systemctl show --value -p MainPID oomtest-db.service)
echo "db.pid=$db"
echo "db.oom_score_adj=$(cat "/proc/$db/oom_score_adj")"
swapoff -a
touch /run/oomtest-db.grow
n=120
rss=0
while [ $n -gt 0 ]; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$db/status")
    [ "$rss" -ge $((300 * 1024)) ] && break
    sleep 1; n=$((n - 1))
done
echo "db.rss_kb=$rss"
systemd-run --quiet --unit=oomtest-global -- "$alloc" --lock
# Only shell built-ins and sleep while memory runs out: anything started now
# has its pages evicted and read again, and slows the kernel's decision.
pid=$(systemctl show --value -p MainPID oomtest-global.service)
n=150
while [ "$pid" != 0 ] && [ -d "/proc/$pid" ] && [ $n -gt 0 ]; do sleep 2; n=$((n - 1)); done
wait_stopped oomtest-global.service 60
show global oomtest-global.service
echo "db.after_state=$(systemctl show --value -p ActiveState oomtest-db.service)"
echo "db.after_pid=$(systemctl show --value -p MainPID oomtest-db.service)"
swapon -a
rm -f /run/oomtest-db.grow
systemctl restart oomtest-db.service
echo done=1
