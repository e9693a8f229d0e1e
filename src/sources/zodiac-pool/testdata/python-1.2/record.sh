#!/bin/sh
# Records what pollect 1.2 serves on /metrics for ../alpha63 (see README.md). Run from this folder.
set -e
D=$PWD
PATH=/work/main/node_modules/.bin:$PATH
bun serve.ts > /tmp/zodiac-pool-fake.url &
FAKE=$!
sleep 1
URL=$(cat /tmp/zodiac-pool-fake.url)
RUN=$(mktemp -d)
cp pollect.json "$RUN/pollect.json"
(cd "$RUN" && timeout 8 /usr/bin/python3 "$D/run-1.2.py" "$URL" --config "$RUN/pollect.json" > "$RUN/log.txt" 2>&1 || true) &
PY=$!
sleep 6
curl -s http://127.0.0.1:19520/metrics | grep -v "^python_\|^process_\|^# HELP python_\|^# TYPE python_\|^# HELP process_\|^# TYPE process_" > "$D/metrics.txt"
wait $PY
kill $FAKE
cp "$RUN/log.txt" "$D/log.txt"
ls -l "$RUN"
