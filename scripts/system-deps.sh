#!/usr/bin/env bash
# Installs the system packages the tests need, only where missing: Debian's PostgreSQL server; for the
# distributed tests Debian's Redis server (the Celery broker, on a private port and directory) and HAProxy
# (the load balancer in front of the api-servers, deploy/haproxy.cfg); Debian's Chromium for the browser
# tests (Playwright drives /usr/bin/chromium; no browser download).
set -euo pipefail
need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[[ -x /usr/bin/redis-server ]] || need+=(redis-server)
[[ -x /usr/sbin/haproxy ]] || need+=(haproxy)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
if ((${#need[@]})); then
  echo "Installing ${need[*]} (Debian packages)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
