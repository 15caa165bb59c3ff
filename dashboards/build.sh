#!/usr/bin/env bash
# Build the dashboards into dashboards/dist/: install the locked npm
# packages (npm ci; playwright-core never downloads a browser: the tests use
# Debian's /usr/bin/chromium) and copy the pages with ECharts beside them.
# Serve dist/ with gfi-aggregator's "http.static_dir".
set -euo pipefail
cd "$(dirname "$0")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
rm -rf dist.tmp
mkdir dist.tmp
cp src/*.html src/*.js src/*.css dist.tmp/
cp node_modules/echarts/dist/echarts.min.js dist.tmp/
rm -rf dist
mv dist.tmp dist
echo "dashboards: built $(ls dist | wc -l) files in $(pwd)/dist"
