# OpenFn on Airflow: the official Airflow image with this repository's dags/, plugins/, include/ and js/.
# Same locked requirements as `make run` / `make test` (requirements.txt, js/package-lock.json).

# The JavaScript side: Node.js 20 (Debian bookworm's own package is 18, too old for JavaScript jobs) and
# `npm ci` of the runtime and adaptors from the lock, as `make js` does.
FROM node:20.20-bookworm-slim AS js
WORKDIR /opt/airflow/js
COPY js/package.json js/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.installed
COPY js/src ./src

FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt

COPY --from=js /usr/local/bin/node /usr/local/bin/node
COPY --from=js --chown=airflow:0 /opt/airflow/js /opt/airflow/js
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 include/ /opt/airflow/include/

ENV AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins \
    AIRFLOW__OPENFN__JOBS_DIR=/opt/airflow/include/jobs \
    AIRFLOW__OPENFN__JS_DIR=/opt/airflow/js \
    AIRFLOW__OPENFN__NODE=/usr/local/bin/node
