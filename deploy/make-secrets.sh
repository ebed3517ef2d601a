#!/usr/bin/env bash
# Writes the secrets docker-compose.yaml names into deploy/secrets/ (or the folder given): random values;
# an existing file is kept, so re-running never changes a secret in use. Back this folder up: without
# airflow_fernet_key the Variables and Connections stored in the database cannot be read.
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")" && pwd)/secrets}"
mkdir -p "$dir" && chmod 700 "$dir"
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
keep() {  # keep NAME VALUE...: write the file unless it exists; readable by the containers' user
  [[ -s "$dir/$1" ]] || { printf '%s\n' "$2" > "$dir/$1"; chmod 644 "$dir/$1"; echo "wrote $dir/$1"; }
}
keep postgres_password "$(random)"
keep airflow_database_url "postgresql+psycopg2://airflow:$(cat "$dir/postgres_password")@postgres:5432/airflow"
keep airflow_fernet_key "$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
keep airflow_jwt_secret "$(random)"
keep airflow_secret_key "$(random)"
keep airflow_users "{\"admin\": \"$(random)\"}"
echo "Log in as admin with the password in $dir/airflow_users."
