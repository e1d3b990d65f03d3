#!/bin/sh
# A recording fake of crictl for the node script's tests (a shell script: the script under test
# starts crictl up to eight times per run, and a shell starts in milliseconds).
#
# It answers from a recording directory (test/fakes/crictl/recordings/<name>) holding what one
# crictl version printed against one runtime, and appends each invocation, its arguments
# separated by tabs, to a log so a test can see what the script asked and of which endpoint.
# Like crictl it takes the global flags before the command, answers only on the endpoint the
# runtime listens on (another endpoint fails as crictl does: a logrus fatal line on stderr, exit
# 1), and prints several inspect/inspecti documents as that crictl version does: one document
# per id before 1.31, one indented JSON array from 1.31 (cmd/crictl/util.go outputStatusData).
#
# Environment: WIN_K8S_FAKE_CRICTL_RECORDING (directory), WIN_K8S_FAKE_CRICTL_LOG (file to append
# to), WIN_K8S_FAKE_CRICTL_HANG=1 or =<command> (never answer, or not that command: for the
# caller's time limit).

dir=$WIN_K8S_FAKE_CRICTL_RECORDING
if [ -n "$WIN_K8S_FAKE_CRICTL_LOG" ]; then
    printf '%s\t' "$@" >> "$WIN_K8S_FAKE_CRICTL_LOG"
    printf '\n' >> "$WIN_K8S_FAKE_CRICTL_LOG"
fi

fatal() {
    # $1 is already escaped as Go's %q would (logrus quotes msg that way).
    printf 'time="2026-11-28T19:58:02Z" level=fatal msg="%s"\n' "$1" >&2
    exit 1
}

endpoint=$CONTAINER_RUNTIME_ENDPOINT
while [ $# -gt 0 ]; do
    case $1 in
    --runtime-endpoint | -r) endpoint=$2; shift 2 ;;
    --image-endpoint | -i | --timeout | -t) shift 2 ;;
    -*) fatal "fake crictl: unknown global flag $1" ;;
    *) break ;;
    esac
done
command=$1
shift

if [ "$WIN_K8S_FAKE_CRICTL_HANG" = 1 ] || [ "$WIN_K8S_FAKE_CRICTL_HANG" = "$command" ]; then
    exec sleep 3600
fi
[ -f "$dir/meta" ] || fatal "fake crictl: no recording at $dir"
. "$dir/meta"
[ -n "$endpoint" ] || fatal 'fake crictl: no endpoint named (crictl would try its deprecated defaults)'
if [ "$endpoint" != "$served_endpoint" ]; then
    # What crictl's CRI client says when the named pipe does not exist (Go-quoted: \\ and \").
    pipe=$(printf '%s' "$endpoint" | sed -e 's#^npipe:////\./pipe/#\\\\\\\\.\\\\pipe\\\\#')
    fatal "validate service connection: validate CRI v1 runtime API for endpoint \\\"$endpoint\\\": rpc error: code = Unavailable desc = connection error: desc = \\\"transport: Error while dialing: open $pipe: The system cannot find the file specified.\\\""
fi

json=no
all=no
ids=
while [ $# -gt 0 ]; do
    case $1 in
    -o | --output) [ "$2" = json ] && json=yes; shift 2 ;;
    -a | --all) all=yes; shift ;;
    -q | --quiet) shift ;;
    -*) fatal "fake crictl: unrecorded flag $1 for $command" ;;
    *) ids="$ids ${1#sha256:}"; shift ;;
    esac
done

case $command in
version)
    cat "$dir/version.txt" ;;
info | pods | images | imagefsinfo)
    [ $json = yes ] || fatal "fake crictl: $command without -o json is not recorded"
    cat "$dir/$command.json" ;;
ps)
    [ $json = yes ] && [ $all = yes ] || fatal 'fake crictl: only ps -a -o json is recorded'
    cat "$dir/ps.json" ;;
inspect | inspecti)
    [ -n "$ids" ] || fatal 'ID cannot be empty'
    files=
    count=0
    for id in $ids; do
        f="$dir/$command/$id.json"
        [ -f "$f" ] || fatal "fake crictl: $command $id is not recorded"
        files="$files $f"
        count=$((count + 1))
    done
    if [ "$crictl_minor" -ge 31 ] && [ $count -gt 1 ]; then
        # shellcheck disable=SC2086
        awk 'BEGIN { printf "[\n" } FNR == 1 && NR > 1 { printf ",\n" } { if (FNR > 1) printf "\n"; printf "  %s", $0 } END { printf "\n]\n" }' $files
    else
        # shellcheck disable=SC2086
        cat $files
    fi ;;
*)
    fatal "fake crictl: command $command is not recorded" ;;
esac
