// gfi dashboards: wraps each page of src/ in the one HTML skeleton every page
// shares (charset, phone viewport, title, style.css, common.js) and writes it
// to the output directory. A page in src/ holds only what is its own: a first
// line "<!-- page: 标题 Title | script.js ... -->" and its <main>. Its scripts
// load after common.js, in the order given. Usage: node assemble.mjs SRC OUT
import fs from 'node:fs';
import path from 'node:path';

const HEADER = /^<!-- page: (.+?) \| (.+?) -->\n/;

/* The whole HTML document for the page source `text` read from `name`. */
function assemble(name, text) {
  const m = HEADER.exec(text);
  if (!m) throw new Error(name + ': first line is not "<!-- page: TITLE | SCRIPTS -->"');
  const scripts = ['common.js', ...m[2].trim().split(/\s+/)];
  return '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<title>' + m[1] + ' — gfi</title>\n<link rel="stylesheet" href="style.css">\n</head>\n<body>\n' +
    text.slice(m[0].length) + scripts.map(s => '<script src="' + s + '"></script>\n').join('') + '</body>\n</html>\n';
}

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node assemble.mjs SRC OUT');
  process.exit(2);
}
for (const name of fs.readdirSync(src).filter(n => n.endsWith('.html'))) {
  fs.writeFileSync(path.join(out, name), assemble(name, fs.readFileSync(path.join(src, name), 'utf8')));
}
