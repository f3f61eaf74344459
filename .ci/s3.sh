# shellcheck shell=bash
# .ci/s3.sh: a real S3 server (versitygw, Apache-2.0) for the S3 blob store
# tests. Source it; do not run it:
#
#     source .ci/s3.sh || exit 1   # builds versitygw once, starts it, exports the env
#     trap lathe_s3_stop EXIT      # or call lathe_s3_stop when the tests are done
#     go test -race ./internal/blob/...
#
# It exports LATHE_TEST_S3_URL, LATHE_TEST_S3_ACCESS_KEY and
# LATHE_TEST_S3_SECRET_KEY. The bucket in the URL does not exist yet: the tests
# create it (s3.Options.CreateBucket). The server listens on 127.0.0.1 only,
# keeps its data in a temp dir and has fresh random credentials each time.
#
# The versitygw binary is built with `go install` (about 90 s on 2 cores) into
# ${LATHE_CI_CACHE:-$HOME/.cache/lathe-ci}/bin and reused while it is there.
# It sets no shell options, works under the caller's `set -euo pipefail`, and
# leaves the caller's traps alone.

LATHE_VERSITYGW_VERSION=v1.8.0

# lathe_s3_install builds versitygw unless the cache has it, and sets
# LATHE_VERSITYGW to its path.
lathe_s3_install() {
	local bindir="${LATHE_CI_CACHE:-$HOME/.cache/lathe-ci}/bin"
	LATHE_VERSITYGW="$bindir/versitygw-$LATHE_VERSITYGW_VERSION"
	if [ -x "$LATHE_VERSITYGW" ]; then
		return 0
	fi
	mkdir -p "$bindir" || return 1
	local gobin
	gobin=$(mktemp -d) || return 1
	echo "s3.sh: building versitygw $LATHE_VERSITYGW_VERSION (about 90 s)" >&2
	if ! (cd / && CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS= GOTOOLCHAIN=local \
		go install "github.com/versity/versitygw/cmd/versitygw@$LATHE_VERSITYGW_VERSION"); then
		echo "s3.sh: building versitygw failed" >&2
		rm -rf "$gobin"
		return 1
	fi
	# Rename into place so an interrupted build never leaves a broken binary.
	mv "$gobin/versitygw" "$LATHE_VERSITYGW.tmp.$$" && mv "$LATHE_VERSITYGW.tmp.$$" "$LATHE_VERSITYGW"
	local rc=$?
	rm -rf "$gobin"
	return $rc
}

# lathe_s3_port prints a TCP port on 127.0.0.1 that nothing listens on.
lathe_s3_port() {
	local port i
	for i in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# lathe_s3_answers reports whether an HTTP server answers on the port.
lathe_s3_answers() {
	timeout 2 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
		IFS= read -r line <&3 && [[ $line == HTTP/* ]]
	' _ "$1" 2>/dev/null
}

# lathe_s3_start starts versitygw and exports the LATHE_TEST_S3_* variables.
lathe_s3_start() {
	lathe_s3_install || return 1
	LATHE_S3_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lathe-s3.XXXXXX") || return 1
	mkdir -p "$LATHE_S3_DIR/data" || return 1
	local access secret port try i
	access="lathe-ci-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	LATHE_S3_PID=
	for try in 1 2 3; do
		port=$(lathe_s3_port) || break
		# Credentials go in the environment, not on the command line (ps).
		ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
			"$LATHE_VERSITYGW" --port "127.0.0.1:$port" --region us-east-1 --quiet \
			posix "$LATHE_S3_DIR/data" </dev/null >>"$LATHE_S3_DIR/versitygw.log" 2>&1 &
		LATHE_S3_PID=$!
		for i in $(seq 1 100); do
			if lathe_s3_answers "$port"; then
				break 2
			fi
			kill -0 "$LATHE_S3_PID" 2>/dev/null || break # exited, e.g. the port was taken
			sleep 0.1
		done
		kill "$LATHE_S3_PID" 2>/dev/null || true
		wait "$LATHE_S3_PID" 2>/dev/null || true
		LATHE_S3_PID=
		echo "s3.sh: versitygw did not answer on port $port (try $try)" >&2
	done
	if [ -z "$LATHE_S3_PID" ]; then
		echo "s3.sh: could not start versitygw; its log:" >&2
		cat "$LATHE_S3_DIR/versitygw.log" >&2
		rm -rf "$LATHE_S3_DIR"
		LATHE_S3_DIR=
		return 1
	fi
	export LATHE_TEST_S3_URL="s3://lathe-ci/blobs?endpoint=http://127.0.0.1:$port&region=us-east-1"
	export LATHE_TEST_S3_ACCESS_KEY="$access"
	export LATHE_TEST_S3_SECRET_KEY="$secret"
	echo "s3.sh: versitygw $LATHE_VERSITYGW_VERSION (pid $LATHE_S3_PID) on 127.0.0.1:$port; LATHE_TEST_S3_URL=$LATHE_TEST_S3_URL" >&2
}

# lathe_s3_stop stops the server, removes its data and unsets the variables.
# Calling it twice, or without a running server, is fine.
lathe_s3_stop() {
	if [ -n "${LATHE_S3_PID:-}" ]; then
		kill "$LATHE_S3_PID" 2>/dev/null || true
		wait "$LATHE_S3_PID" 2>/dev/null || true
	fi
	if [ -n "${LATHE_S3_DIR:-}" ]; then
		rm -rf "$LATHE_S3_DIR"
	fi
	LATHE_S3_PID=
	LATHE_S3_DIR=
	unset LATHE_TEST_S3_URL LATHE_TEST_S3_ACCESS_KEY LATHE_TEST_S3_SECRET_KEY
	return 0
}

lathe_s3_start || return 1
