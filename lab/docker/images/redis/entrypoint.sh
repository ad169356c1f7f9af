#!/bin/sh
# The official image's entrypoint contract: arguments that start with "-" or name a
# .conf file are redis-server's (a pod that sets only `args: [/path/redis.conf]` relies
# on it); anything else runs as given.
set -eu
case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
exec "$@"
