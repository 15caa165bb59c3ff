#!/usr/bin/env bash
# Build the dashboards into dashboards/dist/: install the locked npm
# packages (npm ci; playwright-core never downloads a browser: the tests use
# Debian's /usr/bin/chromium), wrap each page of src/ in the shared HTML
# skeleton (assemble.mjs), copy the scripts and style with ECharts beside
# them, and record what dist/ was built from in dist/.sources (sha256sum of
# src/* and assemble.mjs; tests/browser/run_dashboards.py rebuilds when it
# no longer matches). Serve dist/ with gfi-aggregator's "http.static_dir".
set -euo pipefail
cd "$(dirname "$0")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
rm -rf dist.tmp
mkdir dist.tmp
cp src/*.js src/*.css dist.tmp/
node assemble.mjs src dist.tmp
cp node_modules/echarts/dist/echarts.min.js dist.tmp/
sha256sum src/* assemble.mjs > dist.tmp/.sources
rm -rf dist
mv dist.tmp dist
echo "dashboards: built $(ls dist | wc -l) files in $(pwd)/dist"
