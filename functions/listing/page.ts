import { createHash } from 'node:crypto';
import { LISTING_ARCHITECTURES, LISTING_RUNTIMES } from './known-values';
import { SNIPPETS } from './snippets';

/**
 * The listing page: one self-contained HTML document (no CDN, no external file), so it works offline and can be
 * hosted as a static file. It reads either the API (`source: 'api'`, served at the API's root) or the static
 * export's files beside it (`source: 'static'`: regions.json and regions/<region>.json).
 */
export interface PageOptions {
  source: 'api' | 'static';
}

const STYLE = `
:root{--fg:#1a1a1a;--muted:#4a4a4a;--bg:#fff;--line:#8a8a8a;--accent:#0b57d0;--warn-bg:#fff4d6;--warn-fg:#5c3b00;--ok-bg:#e3f4e6;--ok-fg:#124a1c}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);line-height:1.45}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
header,main,footer{max-width:80rem;margin:0 auto;padding:1rem 1.25rem}
h1{font-size:1.5rem;margin:.5rem 0}
p.lead{color:var(--muted);margin-top:0}
form{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;padding:1rem;border:1px solid var(--line);border-radius:.4rem}
form div{display:flex;flex-direction:column;gap:.25rem}
label{font-weight:600}
select,input,button{font:inherit;color:inherit;padding:.4rem .5rem;border:1px solid var(--line);border-radius:.3rem;background:#fff}
button{cursor:pointer;background:#f2f2f2}
button:hover{background:#e6e6e6}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
#status{min-height:1.5rem;margin:1rem 0 .5rem}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border-bottom:1px solid var(--line);padding:.5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;word-break:break-all}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.85rem;font-weight:600}
.badge.latest{background:var(--ok-bg);color:var(--ok-fg)}
.badge.deprecated{background:var(--warn-bg);color:var(--warn-fg)}
.badge.deleted{background:#eee;color:#333}
details ul{margin:.5rem 0;padding-left:1.25rem}
details li{margin:.25rem 0}
.copied{position:fixed;bottom:1rem;right:1rem;background:var(--fg);color:#fff;padding:.6rem .9rem;border-radius:.3rem}
.copied:empty{display:none}
pre.snippet{margin:.25rem 0 .75rem;padding:.5rem;background:#f6f6f6;border:1px solid var(--line);border-radius:.3rem;white-space:pre-wrap;max-width:40rem}
.snippet-title{margin:.5rem 0 0;font-weight:600}
`;

/** The page's script, plain ES2017 for any current browser. It builds the DOM with textContent only. */
const SCRIPT = String.raw`
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('lamina-config').textContent);
  var api = config.source === 'api';
  var regionSelect = document.getElementById('region');
  var runtimeSelect = document.getElementById('runtime');
  var archSelect = document.getElementById('arch');
  var nameInput = document.getElementById('q');
  var statusLine = document.getElementById('status');
  var tbody = document.getElementById('rows');
  var copied = document.getElementById('copied');
  var current = { items: [], deprecated: [] };
  var loadToken = 0;
  var copiedTimer;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function say(text) { statusLine.textContent = text; }
  function day(iso) { return iso ? iso.slice(0, 10) : ''; }
  function time(iso) { return el('time', { datetime: iso, title: iso, text: day(iso) }); }
  function getJson(url) {
    return fetch(url, { headers: { accept: 'application/json' } }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error((body.error && body.error.message) || ('HTTP ' + response.status + ' for ' + url));
        });
      }
      return response.json();
    });
  }
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k]; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }
  // Follows nextCursor so a filtered listing shows every match, within a sane bound.
  function getAll(path, params) {
    var items = [];
    function next(cursor, pages) {
      var p = Object.assign({}, params, { cursor: cursor, limit: '1000' });
      return getJson(path + '?' + query(p)).then(function (body) {
        items = items.concat(body.items);
        if (body.nextCursor && pages < 50) return next(body.nextCursor, pages + 1);
        return items;
      });
    }
    return next(undefined, 1);
  }

  function saveState() {
    var state = query({ region: regionSelect.value, runtime: runtimeSelect.value, arch: archSelect.value, q: nameInput.value });
    history.replaceState(null, '', state ? '#' + state : location.pathname + location.search);
  }
  function readState() {
    var params = new URLSearchParams(location.hash.slice(1));
    return { region: params.get('region'), runtime: params.get('runtime'), arch: params.get('arch'), q: params.get('q') };
  }

  function loadRegions() {
    return getJson(api ? 'v1/regions' : 'regions.json').then(function (body) {
      return body.items.map(function (item) { return item.region; });
    });
  }
  function loadLayers(region) {
    if (api) {
      return getAll('v1/regions/' + encodeURIComponent(region) + '/layers', { runtime: runtimeSelect.value, arch: archSelect.value })
        .then(function (items) { return { items: items, deprecated: null }; });
    }
    return getJson('regions/' + encodeURIComponent(region) + '.json').then(function (body) {
      return { items: body.items, deprecated: body.deprecated || [] };
    });
  }
  function loadVersions(item) {
    if (api) return getAll('v1/layers/' + encodeURIComponent(item.name) + '/versions', { region: item.region });
    var older = current.deprecated.filter(function (v) { return v.name === item.name; });
    return Promise.resolve([item].concat(older).sort(function (a, b) { return b.version - a.version; }));
  }

  function matches(item) {
    var q = nameInput.value.trim().toLowerCase();
    if (q && item.name.toLowerCase().indexOf(q) < 0) return false;
    if (!api && runtimeSelect.value && item.runtimes.indexOf(runtimeSelect.value) < 0) return false;
    if (!api && archSelect.value && item.architectures.indexOf(archSelect.value) < 0) return false;
    return true;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = el('textarea', { 'aria-hidden': 'true', readonly: '' });
      area.value = text;
      area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand('copy');
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error('copy refused'));
    });
  }
  function copyButton(item) {
    var button = el('button', { type: 'button', class: 'copy', 'aria-label': 'Copy ARN of ' + item.name + ' version ' + item.version + ' in ' + item.region, text: 'Copy ARN' });
    button.addEventListener('click', function () {
      copyText(item.arn).then(function () {
        button.textContent = 'Copied';
        copied.textContent = 'Copied ' + item.arn;
        setTimeout(function () { button.textContent = 'Copy ARN'; }, 4000);
        clearTimeout(copiedTimer);
        copiedTimer = setTimeout(function () { copied.textContent = ''; }, 4000);
      }, function () {
        copied.textContent = 'Could not copy; select the ARN text and copy it by hand.';
      });
    });
    return button;
  }

  // The same filling as snippets.ts fillSnippet.
  function identifier(name) {
    var words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
    var camel = words.map(function (w, i) { return (i === 0 ? w.charAt(0).toLowerCase() : w.charAt(0).toUpperCase()) + w.slice(1); }).join('');
    return /^[0-9]/.test(camel) ? 'layer' + camel : (camel || 'layer');
  }
  function fill(template, item) {
    var id = identifier(item.name);
    var values = { arn: item.arn, region: item.region, name: item.name, id: id, Id: id.charAt(0).toUpperCase() + id.slice(1) };
    return template.replace(/\{(arn|region|name|id|Id)\}/g, function (m, key) { return values[key]; });
  }
  function snippetsCell(item) {
    var body = el('div');
    var details = el('details', { class: 'snippets' }, [el('summary', { text: 'Snippets' }), body]);
    details.addEventListener('toggle', function () {
      if (!details.open || body.childNodes.length) return;
      config.snippets.forEach(function (snippet) {
        var text = fill(snippet.template, item);
        var button = el('button', { type: 'button', class: 'copy-snippet', 'aria-label': 'Copy the ' + snippet.label + ' snippet for ' + item.name + ' in ' + item.region, text: 'Copy' });
        button.addEventListener('click', function () {
          copyText(text).then(function () {
            copied.textContent = 'Copied the ' + snippet.label + ' snippet';
            clearTimeout(copiedTimer);
            copiedTimer = setTimeout(function () { copied.textContent = ''; }, 4000);
          }, function () { copied.textContent = 'Could not copy; select the snippet and copy it by hand.'; });
        });
        body.appendChild(el('p', { class: 'snippet-title' }, [document.createTextNode(snippet.label + ' '), button]));
        body.appendChild(el('pre', { class: 'snippet', 'data-snippet': snippet.id }, [el('code', { text: text })]));
      });
    });
    return details;
  }

  function versionLine(v) {
    var parts = [
      el('strong', { text: 'Version ' + v.version }), document.createTextNode(' '),
      el('span', { class: 'badge ' + v.status, text: v.status }),
      document.createTextNode(' published '), time(v.publishedAt)
    ];
    if (v.status === 'deprecated' && v.expiresAt) {
      parts.push(document.createTextNode(', will be deleted on '), time(v.expiresAt));
    }
    if (v.status === 'deleted' && v.deletedAt) parts.push(document.createTextNode(', deleted on '), time(v.deletedAt));
    var line = el('li', { class: 'version ' + v.status }, parts);
    if (v.status !== 'deleted') {
      line.appendChild(document.createTextNode(' '));
      line.appendChild(el('code', { text: v.arn }));
      line.appendChild(document.createTextNode(' '));
      line.appendChild(copyButton(v));
    }
    return line;
  }
  function versionsCell(item) {
    var list = el('ul');
    var details = el('details', {}, [el('summary', { text: 'Versions' }), list]);
    var loaded = false;
    details.addEventListener('toggle', function () {
      if (!details.open || loaded) return;
      loaded = true;
      list.appendChild(el('li', { text: 'Loading…' }));
      loadVersions(item).then(function (versions) {
        list.textContent = '';
        versions.forEach(function (v) { list.appendChild(versionLine(v)); });
      }, function (error) { list.textContent = ''; list.appendChild(el('li', { text: error.message })); });
    });
    return details;
  }

  function render() {
    var shown = current.items.filter(matches).sort(function (a, b) { return a.name < b.name ? -1 : 1; });
    tbody.textContent = '';
    shown.forEach(function (item) {
      tbody.appendChild(el('tr', { 'data-layer': item.name }, [
        el('th', { scope: 'row', text: item.name }),
        el('td', { text: item.package + (item.packageVersion ? ' ' + item.packageVersion : '') }),
        el('td', { text: item.runtimes.join(', ') }),
        el('td', { text: item.architectures.join(', ') }),
        el('td', {}, [el('span', { text: String(item.version) + ' ' }), el('span', { class: 'badge ' + item.status, text: item.status })]),
        el('td', {}, [time(item.publishedAt)]),
        el('td', {}, [el('code', { class: 'arn', text: item.arn }), document.createTextNode(' '), copyButton(item)]),
        el('td', {}, [versionsCell(item)]),
        el('td', {}, [snippetsCell(item)])
      ]));
    });
    var region = regionSelect.value;
    say(shown.length + ' layer' + (shown.length === 1 ? '' : 's') + ' in ' + region +
      (shown.length < current.items.length ? ' (' + current.items.length + ' before the name filter)' : '') + '.');
  }

  function refresh() {
    saveState();
    var token = ++loadToken;
    if (!regionSelect.value) return;
    say('Loading layers in ' + regionSelect.value + '…');
    loadLayers(regionSelect.value).then(function (data) {
      if (token !== loadToken) return;
      current = data;
      render();
    }, function (error) { if (token === loadToken) say('Could not load the listing: ' + error.message); });
  }

  var initial = readState();
  [[runtimeSelect, initial.runtime], [archSelect, initial.arch]].forEach(function (pair) {
    if (pair[1] && Array.prototype.some.call(pair[0].options, function (o) { return o.value === pair[1]; })) pair[0].value = pair[1];
  });
  if (initial.q) nameInput.value = initial.q;
  regionSelect.addEventListener('change', refresh);
  runtimeSelect.addEventListener('change', function () { if (api) refresh(); else { saveState(); render(); } });
  archSelect.addEventListener('change', function () { if (api) refresh(); else { saveState(); render(); } });
  nameInput.addEventListener('input', function () { saveState(); render(); });
  document.getElementById('filters').addEventListener('submit', function (event) { event.preventDefault(); });

  if (api) {
    getJson('v1/schedule').then(function (s) {
      if (!s.expression) return;
      var node = document.getElementById('schedule');
      node.appendChild(document.createTextNode('The pipeline runs on ' + s.expression + ' (UTC). Last run: '));
      node.appendChild(s.lastRun ? time(s.lastRun) : document.createTextNode('none yet'));
      node.appendChild(document.createTextNode('. Next run: '));
      node.appendChild(s.nextRun ? el('time', { datetime: s.nextRun, title: s.nextRun, text: s.nextRun.slice(0, 16).replace('T', ' ') }) : document.createTextNode('none'));
      node.appendChild(document.createTextNode('.'));
    }, function () { /* the listing works without it */ });
  }
  loadRegions().then(function (regions) {
    regionSelect.textContent = '';
    if (regions.length === 0) { say('No regions are recorded yet: run the pipeline first.'); return; }
    regions.forEach(function (region) { regionSelect.appendChild(el('option', { value: region, text: region })); });
    if (initial.region && regions.indexOf(initial.region) >= 0) regionSelect.value = initial.region;
    regionSelect.disabled = false;
    refresh();
  }, function (error) { say('Could not load the regions: ' + error.message); });
})();
`;

const options = (values: readonly string[]) => values.map((value) => `<option value="${value}">${value}</option>`).join('');

const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

/**
 * A Content-Security-Policy for the page: its own inline script and style (by hash), same-origin fetches only.
 * It goes in a <meta> element, so the static export carries it too; the API adds frame-ancestors in the header.
 */
export function pageSecurityPolicy(): string {
  return [
    "default-src 'none'",
    `script-src 'sha256-${sha256Base64(SCRIPT)}'`,
    `style-src 'sha256-${sha256Base64(STYLE)}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The listing page's HTML. */
export function renderPage(page: PageOptions): string {
  const config = JSON.stringify({ source: page.source, snippets: SNIPPETS }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${pageSecurityPolicy()}">
<link rel="icon" href="data:,">
<title>lamina: public AWS Lambda layers</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#results">Skip to the layers</a>
<header>
<h1>Public AWS Lambda layers</h1>
<p class="lead">Pick a region, a runtime and an architecture, then copy the ARN of the layer you need. Deprecated versions show the date they will be deleted.</p>
<p id="schedule" class="lead"></p>
</header>
<main>
<form id="filters" role="search" aria-label="Filter layers">
<div><label for="region">Region</label><select id="region" name="region" disabled><option value="">Loading…</option></select></div>
<div><label for="runtime">Runtime</label><select id="runtime" name="runtime"><option value="">Any runtime</option>${options(LISTING_RUNTIMES)}</select></div>
<div><label for="arch">Architecture</label><select id="arch" name="arch"><option value="">Any architecture</option>${options(LISTING_ARCHITECTURES)}</select></div>
<div><label for="q">Name contains</label><input id="q" name="q" type="search" autocomplete="off" spellcheck="false"></div>
</form>
<p id="status" role="status" aria-live="polite"></p>
<table id="results">
<caption>Latest version of each layer</caption>
<thead><tr><th scope="col">Layer</th><th scope="col">Package</th><th scope="col">Runtimes</th><th scope="col">Architectures</th><th scope="col">Version</th><th scope="col">Published</th><th scope="col">ARN</th><th scope="col">All versions</th><th scope="col">Use it</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<p id="copied" class="copied" role="status" aria-live="polite"></p>
</main>
<footer><p class="lead">Data: ${page.source === 'api' ? 'the lamina listing API (<a href="v1/regions">/v1</a>)' : 'lamina\'s static export (regions.json, regions/&lt;region&gt;.json and .csv)'}.</p></footer>
<script type="application/json" id="lamina-config">${config}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
