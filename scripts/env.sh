# Environment of a local deployment (sourced by run.sh): the settings every deployment shares
# (deploy/airflow.env), Airflow home inside the repository (git-ignored), this repository's dags/ and plugins/.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
set -a
source "$repo/deploy/airflow.env"
set +a
export AIRFLOW_HOME=${AIRFLOW_HOME:-$repo/.airflow}
export AIRFLOW__CORE__DAGS_FOLDER=$repo/dags
export AIRFLOW__CORE__PLUGINS_FOLDER=$repo/plugins
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}
# Task slots sized to this machine: two per core (a short job is mostly CPU: fork, DAG parse, job), at least 4.
# Airflow's default (32) lets a small server's jobs take every core from the api-server that answers senders.
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-$(cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN); echo $(( cores * 2 > 4 ? cores * 2 : 4 )))}
export OPENFN_PORT=${OPENFN_PORT:-8080}
export AIRFLOW__API__PORT=$OPENFN_PORT
export AIRFLOW__API__BASE_URL=${AIRFLOW__API__BASE_URL:-http://localhost:$OPENFN_PORT}
export PATH=$repo/.venv/bin:$PATH
# One Fernet key for every local command and component (the triggerer decrypts what the dag-processor stored,
# `make credentials` encrypts what the deployment reads): the environment's, else the one airflow.cfg already
# holds, else a new one; kept beside the Airflow home in fernet.key, readable by its owner only.
if [ -z "${AIRFLOW__CORE__FERNET_KEY:-}" ]; then
  mkdir -p "$AIRFLOW_HOME"
  if [ ! -s "$AIRFLOW_HOME/fernet.key" ]; then
    fernet_key=""
    if [ -f "$AIRFLOW_HOME/airflow.cfg" ]; then  # none yet on a fresh checkout: Airflow writes it on start
      fernet_key=$(sed -n 's/^fernet_key *= *//p' "$AIRFLOW_HOME/airflow.cfg" | head -1)
    fi
    if [ -z "$fernet_key" ]; then
      fernet_key=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
    fi
    (umask 077; printf '%s' "$fernet_key" >"$AIRFLOW_HOME/fernet.key")
    unset fernet_key
  fi
  export AIRFLOW__CORE__FERNET_KEY=$(cat "$AIRFLOW_HOME/fernet.key")
fi
