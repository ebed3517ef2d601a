#!/usr/bin/env bash
# Installs the system packages the product and its tests need, only where missing (Debian packages):
#   nodejs        Node.js (>= 20.18) and npm, for JavaScript jobs (`make run` needs only this)
#   postgresql    the PostgreSQL server the tests start privately
#   redis-server  the Celery broker of the distributed tests (a private port and directory)
#   haproxy       the load balancer in front of their api-servers (deploy/haproxy.cfg)
#   chromium      the browser Playwright drives in the UI tests (/usr/bin/chromium; no browser download)
# With no arguments: all of them.
set -euo pipefail
wanted=("$@")
((${#wanted[@]})) || wanted=(nodejs postgresql redis-server haproxy chromium)
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
updated=""

apt_install() {
  echo "Installing $* (Debian packages)"
  if [[ -z $updated ]]; then $sudo apt-get update -qq; updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

node_recent() {
  command -v node >/dev/null && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)'
}

need=()
for item in "${wanted[@]}"; do
  case $item in
    postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql) ;;
    redis-server) [[ -x /usr/bin/redis-server ]] || need+=(redis-server) ;;
    haproxy) [[ -x /usr/sbin/haproxy ]] || need+=(haproxy) ;;
    chromium) [[ -x /usr/bin/chromium ]] || need+=(chromium) ;;
    nodejs) command -v node >/dev/null || need+=(nodejs) ;;
    *) echo "unknown system dependency: $item" >&2; exit 2 ;;
  esac
done
((${#need[@]})) && apt_install "${need[@]}"

if [[ " ${wanted[*]} " == *" nodejs "* ]]; then
  command -v npm >/dev/null || apt_install npm
  if ! node_recent; then
    echo "Node.js $(node --version 2>/dev/null || echo '(none)') is too old for JavaScript jobs: 20.18 or newer is needed." >&2
    echo "Install it (e.g. Debian trixie's nodejs package, or NodeSource's), or set [openfn] node to one." >&2
    exit 1
  fi
fi
