// The analyst page of `sanctions serve`: screen, read an entry and its timeline, compare list
// versions, decide on monitoring alerts. Plain JavaScript, no dependencies, no build step.
// Every piece of data comes from the keyed /v1 API of the server that served this file; text
// from the API is only ever set with textContent (never parsed as HTML).
'use strict';

(() => {
  const KEY_STORE = 'sanctions.apiKey';
  const BY_STORE = 'sanctions.decidedBy';
  const main = document.getElementById('main');
  const statusBox = document.getElementById('status');

  // ---------------------------------------------------------------- DOM helpers

  /** Creates an element: h('a', {href: '#/x', class: 'c'}, 'text', child, [more]). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function say(text) {
    statusBox.textContent = text;
  }

  function fmtScore(x) {
    return typeof x === 'number' ? x.toFixed(2) : '?';
  }

  function signed(x) {
    if (typeof x !== 'number' || x === 0) return '±0.00';
    return (x > 0 ? '+' : '−') + Math.abs(x).toFixed(2);
  }

  function pct(x) {
    return typeof x === 'number' ? Math.round(x * 100) + '%' : '?';
  }

  /** A score as a bar and a number. The bar width is set through the CSSOM (CSP-safe). */
  function scoreBar(score) {
    const fill = h('span', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(1, score || 0)) * 100 + '%';
    const level = score >= 0.95 ? 'high' : score >= 0.85 ? 'mid' : 'low';
    return h(
      'span',
      { class: 'score ' + level, title: 'score ' + fmtScore(score) },
      h(
        'span',
        {
          class: 'bar',
          role: 'meter',
          'aria-valuemin': 0,
          'aria-valuemax': 1,
          'aria-valuenow': fmtScore(score),
          'aria-label': 'score',
        },
        fill,
      ),
      h('span', { class: 'num' }, fmtScore(score)),
    );
  }

  function entryHref(source, reference, asOf) {
    let href = '#/entry/' + encodeURIComponent(source) + '/' + encodeURIComponent(reference);
    if (asOf) href += '?as_of=' + encodeURIComponent(asOf);
    return href;
  }

  function entryLink(source, reference, extra) {
    return h('a', Object.assign({ href: entryHref(source, reference), class: 'ref' }, extra || {}),
      source + ':' + reference);
  }

  function versionText(v) {
    if (!v) return '';
    const id = v.version_id !== undefined ? v.version_id : v.id;
    return (v.source ? v.source + ' ' : '') + v.published + ' (#' + id + ')';
  }

  function errorBox(err) {
    const p = h('div', { class: 'error', role: 'alert' });
    if (err && err.code) append(p, h('strong', {}, err.code), ': ');
    append(p, err && err.message ? err.message : String(err));
    return p;
  }

  const SOURCE_NAMES = {
    un: 'UN Security Council Consolidated List',
    ofac: 'US OFAC SDN list',
    eu: 'EU consolidated financial sanctions list',
    uk: 'UK sanctions list',
    ru: 'Russian Rosfinmonitoring list',
  };

  const QUALITY = {
    primary: 'primary name',
    strong: 'strong alias',
    weak: 'weak alias',
    former: 'former name',
  };

  const MEASURES = {
    asset_freeze: 'asset freeze',
    travel_ban: 'travel ban',
    arms_embargo: 'arms embargo',
  };

  const FIELD_LABELS = {
    names: 'Names',
    birth_dates: 'Dates of birth',
    birth_places: 'Places of birth',
    nationalities: 'Nationalities',
    citizenships: 'Citizenships',
    addresses: 'Addresses',
    identifiers: 'Documents',
    gender: 'Gender',
    titles: 'Titles',
    designations: 'Designations',
    programs: 'Programmes',
    listed_on: 'Listed on',
    amended_on: 'Amended on',
    remarks: 'Remarks',
    kind: 'Kind',
  };

  function fieldLabel(field) {
    if (FIELD_LABELS[field]) return FIELD_LABELS[field];
    if (field.startsWith('extra.')) return field.slice(6) + ' (list field)';
    return field;
  }

  function birthDateText(b) {
    if (!b || typeof b !== 'object') return String(b);
    switch (b.type) {
      case 'exact': return b.date;
      case 'approximately': return 'circa ' + b.date;
      case 'between': return 'between ' + b.from + ' and ' + b.to;
      case 'text': return b.text + ' (as written)';
      default: return JSON.stringify(b);
    }
  }

  function addressText(a) {
    if (!a || typeof a !== 'object') return String(a);
    const parts = [a.street, a.city, a.state, a.postal_code, a.country].filter(Boolean);
    if (a.note) parts.push(parts.length ? '(' + a.note + ')' : a.note);
    return parts.join(', ') || '(empty)';
  }

  // ---------------------------------------------------------------- API and keys

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function currentKey() {
    try {
      return sessionStorage.getItem(KEY_STORE) || '';
    } catch (_) {
      return '';
    }
  }

  function setKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY_STORE, key);
      else sessionStorage.removeItem(KEY_STORE);
    } catch (_) {
      /* storage disabled: the key is not kept */
    }
    showKeyState();
  }

  function showKeyState() {
    document.getElementById('key-state').textContent = currentKey() ? 'key set' : 'no key';
  }

  const keyDialog = document.getElementById('key-dialog');
  const keyInput = document.getElementById('key-input');
  let keyPrompt = null;

  /** Asks for a key; resolves true when one was entered. Concurrent callers share the dialog. */
  function askKey(why) {
    if (keyPrompt) return keyPrompt;
    document.getElementById('key-why').textContent = why;
    keyInput.value = '';
    keyPrompt = new Promise((resolve) => {
      const done = (ok) => {
        keyDialog.removeEventListener('close', onClose);
        keyPrompt = null;
        resolve(ok);
      };
      const onClose = () => {
        if (keyDialog.returnValue === 'save' && keyInput.value.trim()) {
          setKey(keyInput.value.trim());
          done(true);
        } else {
          done(false);
        }
      };
      keyDialog.addEventListener('close', onClose);
      keyDialog.returnValue = '';
      keyDialog.showModal();
      keyInput.focus();
    });
    return keyPrompt;
  }

  document.getElementById('key-cancel').addEventListener('click', () => keyDialog.close(''));
  document.getElementById('key-forget').addEventListener('click', () => {
    setKey('');
    keyDialog.close('');
    say('Key forgotten.');
  });
  document.getElementById('key-button').addEventListener('click', () => {
    askKey('Enter the API key to use in this tab.').then((ok) => {
      if (ok) {
        say('Key set.');
        route();
      }
    });
  });

  /**
   * Calls the API. On 401 (or 403 asking for an admin key) the page asks for a key and
   * retries; cancelling gives the error back to the caller.
   */
  async function api(method, path, body) {
    for (;;) {
      const headers = { Accept: 'application/json' };
      const key = currentKey();
      if (key) headers.Authorization = 'Bearer ' + key;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let resp;
      try {
        resp = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (e) {
        throw new ApiError(0, 'network', 'the server did not answer (' + e.message + ')');
      }
      let data = null;
      try {
        data = await resp.json();
      } catch (_) {
        data = null;
      }
      const err = data && data.error ? data.error : {};
      if (resp.status === 401) {
        const why = key
          ? 'The server refused this key (' + (err.message || 'unauthorized') + '). Enter another.'
          : 'The server needs an API key.';
        if (await askKey(why)) continue;
      } else if (resp.status === 403 && /admin key/.test(err.message || '')) {
        if (await askKey('This needs an admin key: ' + err.message + '.')) continue;
      }
      if (!resp.ok) {
        throw new ApiError(resp.status, err.code || 'http_' + resp.status,
          err.message || resp.statusText || 'request failed');
      }
      return data;
    }
  }

  // ---------------------------------------------------------------- routing

  let renderToken = 0;

  function parseHash() {
    const raw = (location.hash || '').replace(/^#/, '');
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const parts = path.split('/').filter(Boolean).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (_) {
        return s;
      }
    });
    return { parts, params };
  }

  function hashFor(path, params) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && String(v).trim() !== '') qs.set(k, String(v).trim());
    }
    const s = qs.toString();
    return '#' + path + (s ? '?' + s : '');
  }

  /** Goes to `hash`; when it is already the current one, renders it again. */
  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function setNav(name) {
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  async function route() {
    const token = ++renderToken;
    const { parts, params } = parseHash();
    const page = parts[0] || 'screen';
    const ctx = {
      params,
      parts,
      live: () => token === renderToken,
    };
    clear(main);
    say('');
    window.scrollTo(0, 0);
    try {
      switch (page) {
        case 'entry':
          setNav('entry');
          await pageEntry(ctx, parts[1], parts.slice(2).join('/'));
          break;
        case 'lists':
          setNav('lists');
          await pageLists(ctx, parts[1], parts[2] === 'diff');
          break;
        case 'alerts':
          setNav('alerts');
          if (parts[1]) await pageAlert(ctx, parts[1]);
          else await pageAlerts(ctx);
          break;
        case 'screen':
        default:
          setNav('screen');
          await pageScreen(ctx);
      }
    } catch (e) {
      if (ctx.live()) {
        main.appendChild(errorBox(e));
        say('Error: ' + (e.message || e));
      }
    }
  }

  function pageTitle(text, sub) {
    document.title = text + ' · sanctions';
    return h('div', { class: 'page-head' },
      h('h1', { tabindex: -1 }, text), sub ? h('p', { class: 'sub' }, sub) : null);
  }

  function focusHeading() {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- reasons (shared)

  const HOW = {
    exact: ['same word', 'exact'],
    variant: ['spelling variant', 'variant'],
    fuzzy: ['close spelling (typo)', 'fuzzy'],
    initial: ['initial', 'initial'],
    none: ['no match', 'none'],
  };

  /** The explanation of a score, as a reviewer reads it. */
  function reasons(ex, opts) {
    const box = h('div', { class: 'reasons' });
    if (!ex || typeof ex !== 'object') return box;
    const o = opts || {};
    const matched = o.matchedName
      ? ['Matched the ', QUALITY[ex.name_quality] || ex.name_quality, ' ',
        h('q', { dir: 'auto' }, o.matchedName)]
      : ['Matched a ', QUALITY[ex.name_quality] || ex.name_quality];
    box.appendChild(h('p', { class: 'matched' }, matched,
      ': name score ', h('strong', {}, fmtScore(ex.name_score)),
      h('span', { class: 'muted' }, ' · ', pct(ex.query_coverage), ' of the query found in the name, ',
        pct(ex.name_coverage), ' of the name found in the query')));

    const words = Array.isArray(ex.words) ? ex.words : [];
    if (words.length) {
      const rows = words.map((w) => {
        const [label, cls] = HOW[w.how] || [w.how, 'none'];
        const glued = /\s/.test(w.listed) !== /\s/.test(w.query) ? ' (written together)' : '';
        return h('tr', { class: 'how-' + cls },
          h('td', { class: 'qw', dir: 'auto' }, w.query),
          h('td', { class: 'arrow', 'aria-hidden': 'true' }, cls === 'exact' ? '=' : '≈'),
          h('td', { class: 'lw', dir: 'auto' }, w.listed),
          h('td', { class: 'how' }, h('span', { class: 'tag how-' + cls }, label + glued)),
          h('td', { class: 'sim num' }, fmtScore(w.similarity)));
      });
      box.appendChild(h('table', { class: 'words' },
        h('caption', { class: 'sr-only' }, 'Which query word met which listed word'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'query word'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'relation')),
          h('th', { scope: 'col' }, 'listed word'), h('th', { scope: 'col' }, 'how'),
          h('th', { scope: 'col', class: 'num' }, 'similarity'))),
        h('tbody', {}, rows)));
    }
    if (ex.unmatched_query && ex.unmatched_query.length) {
      box.appendChild(h('p', { class: 'unmatched warn' }, 'Query words not in the listed name: ',
        ex.unmatched_query.map((w, i) => [i ? ', ' : '', h('q', { dir: 'auto' }, w)])));
    }
    if (ex.unmatched_listed && ex.unmatched_listed.length) {
      box.appendChild(h('p', { class: 'unmatched' }, 'Listed words not in the query: ',
        ex.unmatched_listed.map((w, i) => [i ? ', ' : '', h('q', { dir: 'auto' }, w)])));
    }
    const attrs = Array.isArray(ex.attributes) ? ex.attributes : [];
    if (attrs.length) {
      box.appendChild(h('ul', { class: 'attributes' }, attrs.map((a) => {
        const mark = a.verdict === 'agrees' ? '✓' : a.verdict === 'conflicts' ? '✗' : '·';
        const word = a.verdict === 'agrees' ? 'agrees' : a.verdict === 'conflicts' ? 'conflicts' : 'neutral';
        return h('li', { class: 'attr ' + word },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, mark),
          h('span', { class: 'attr-name' }, attributeLabel(a.attribute) + ' ' + word + ': '),
          a.detail || '',
          h('span', { class: 'effect num' }, ' ' + signed(a.effect)));
      })));
    } else {
      box.appendChild(h('p', { class: 'muted small' },
        'No birth date, nationality, kind or document given to compare.'));
    }
    if (ex.note) box.appendChild(h('p', { class: 'note' }, ex.note));
    return box;
  }

  function attributeLabel(a) {
    return ({
      birth_date: 'Birth date',
      nationality: 'Nationality',
      kind: 'Kind',
      identifier: 'Document',
    })[a] || a;
  }

  function regimesBlock(regimes, programs) {
    if (Array.isArray(regimes) && regimes.length) {
      return h('ul', { class: 'regimes' }, regimes.map((r) => h('li', {},
        h('span', { class: 'regime-id' }, r.id), ' ',
        h('span', { class: r.known === false ? 'warn' : '' }, r.name),
        r.committee ? h('span', { class: 'muted small' }, ' · ' + r.committee) : null,
        ' ',
        (r.measures && r.measures.length)
          ? r.measures.map((m) => h('span', { class: 'measure' }, MEASURES[m] || m))
          : h('span', { class: 'muted' }, 'no measure catalogued'))));
    }
    if (Array.isArray(programs) && programs.length) {
      return h('p', {}, 'Programmes: ', programs.join(', '));
    }
    return null;
  }

  /** A value of a field change, readable: documents and places come as JSON objects. */
  function changeValue(field, v) {
    const s = String(v);
    if (!s.startsWith('{')) return s;
    let o;
    try {
      o = JSON.parse(s);
    } catch (_) {
      return s;
    }
    if (!o || typeof o !== 'object') return s;
    if (field === 'identifiers') return documentText(o);
    if (field === 'addresses' || field === 'birth_places') return addressText(o);
    if (field === 'birth_dates' && o.type) return birthDateText(o);
    return Object.entries(o).map(([k, x]) => k + ': ' + (typeof x === 'string' ? x : JSON.stringify(x))).join('; ');
  }

  function documentText(d) {
    const parts = [(d.kind || 'document') + ' ' + (d.number || '')];
    if (d.country) parts.push(d.country);
    if (d.issued) parts.push('issued ' + d.issued);
    if (d.expires) parts.push('expires ' + d.expires);
    let s = parts.join(', ');
    if (d.note) s += ' (' + d.note + ')';
    return s;
  }

  function tokens(s) {
    return s.split(/\s+/).filter(Boolean);
  }

  /** Share of words two texts have in common (0..1). */
  function overlap(a, b) {
    const ta = tokens(a);
    const tb = tokens(b);
    if (!ta.length || !tb.length) return 0;
    const count = new Map();
    for (const w of ta) count.set(w, (count.get(w) || 0) + 1);
    let common = 0;
    for (const w of tb) {
      const c = count.get(w) || 0;
      if (c > 0) {
        common++;
        count.set(w, c - 1);
      }
    }
    return common / Math.max(ta.length, tb.length);
  }

  /** Word-level difference of two texts: [op, words] runs with op '=', '-' or '+'. */
  function wordDiff(a, b) {
    const x = tokens(a);
    const y = tokens(b);
    const n = x.length;
    const m = y.length;
    if (n * m > 400000) return [['-', x], ['+', y]];
    // Longest common subsequence, table from the end.
    const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      }
    }
    const runs = [];
    const push = (op, w) => {
      const last = runs[runs.length - 1];
      if (last && last[0] === op) last[1].push(w);
      else runs.push([op, [w]]);
    };
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (x[i] === y[j]) {
        push('=', x[i]);
        i++;
        j++;
      } else if (L[i + 1][j] >= L[i][j + 1]) {
        push('-', x[i++]);
      } else {
        push('+', y[j++]);
      }
    }
    while (i < n) push('-', x[i++]);
    while (j < m) push('+', y[j++]);
    return runs;
  }

  function inlineDiff(a, b) {
    const p = h('p', { class: 'wdiff', dir: 'auto' });
    wordDiff(a, b).forEach(([op, ws], k) => {
      if (k) p.appendChild(document.createTextNode(' '));
      const text = ws.join(' ');
      p.appendChild(op === '=' ? document.createTextNode(text) : h(op === '-' ? 'del' : 'ins', {}, text));
    });
    return p;
  }

  /**
   * Field-level changes, highlighted: a removed value and the added value that resembles it
   * are shown as one text with the words taken out struck and the words put in marked;
   * other values are shown whole as removed or added.
   */
  function changesTable(changes) {
    if (!Array.isArray(changes) || !changes.length) return null;
    const dl = h('dl', { class: 'changes' });
    for (const c of changes) {
      const removed = (c.removed || []).map((v) => changeValue(c.field, v));
      const added = (c.added || []).map((v) => changeValue(c.field, v));
      const used = new Set();
      const dd = h('dd', {});
      const pairs = [];
      const alone = [];
      for (const r of removed) {
        let best = -1;
        let bestScore = 0.34;
        added.forEach((a, k) => {
          if (used.has(k)) return;
          const sc = overlap(r, a);
          if (sc > bestScore) {
            best = k;
            bestScore = sc;
          }
        });
        if (best >= 0) {
          used.add(best);
          pairs.push([r, added[best]]);
        } else {
          alone.push(r);
        }
      }
      for (const [r, a] of pairs) dd.appendChild(inlineDiff(r, a));
      for (const r of alone) dd.appendChild(h('del', { class: 'whole', dir: 'auto' }, r));
      added.forEach((a, k) => {
        if (!used.has(k)) dd.appendChild(h('ins', { class: 'whole', dir: 'auto' }, a));
      });
      dl.append(h('dt', {}, fieldLabel(c.field)), dd);
    }
    return dl;
  }

  // ---------------------------------------------------------------- Screen

  async function pageScreen(ctx) {
    const p = ctx.params;
    const name = p.get('name') || '';
    main.appendChild(pageTitle('Screen a name',
      'Against the latest list versions, or those in force on a date. Any script; misspellings and other romanisations are found.'));
    const field = (id, label, input, hint) => h('div', { class: 'field' },
      h('label', { for: id }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
    const kind = h('select', { id: 'q-kind', name: 'kind' },
      ['', 'person', 'organization', 'vessel', 'aircraft'].map((k) =>
        h('option', { value: k, selected: p.get('kind') === k }, k || 'any')));
    const form = h('form', { id: 'screen-form', class: 'screen-form', role: 'search', novalidate: true },
      field('q-name', 'Name', h('input', {
        id: 'q-name', name: 'name', type: 'search', required: true, autocomplete: 'off',
        spellcheck: 'false', value: name, placeholder: 'e.g. Amir Khan Muttaqi', dir: 'auto',
      })),
      h('div', { class: 'row' },
        field('q-dob', 'Birth date', h('input', {
          id: 'q-dob', name: 'dob', inputmode: 'numeric', autocomplete: 'off', value: p.get('dob') || '',
          placeholder: 'YYYY or YYYY-MM-DD',
        })),
        field('q-nat', 'Nationality', h('input', {
          id: 'q-nat', name: 'nat', autocomplete: 'off', value: p.get('nat') || '',
          placeholder: 'country or ISO code',
        })),
        field('q-kind', 'Kind', kind),
        field('q-asof', 'Lists as of', h('input', {
          id: 'q-asof', name: 'as_of', type: 'date', value: p.get('as_of') || '',
        })),
        h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Screen'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      if (!String(f.get('name') || '').trim()) {
        document.getElementById('q-name').focus();
        say('Type a name to screen.');
        return;
      }
      go(hashFor('/screen', {
        name: f.get('name'), dob: f.get('dob'), nat: f.get('nat'), kind: f.get('kind'), as_of: f.get('as_of'),
      }));
    });
    main.appendChild(form);
    const out = h('section', { id: 'results', 'aria-label': 'Results' });
    main.appendChild(out);

    if (!name.trim()) {
      document.getElementById('q-name').focus();
      // Say which lists are served (this also asks for a key up front when one is needed).
      const lists = await api('GET', '/v1/lists');
      if (!ctx.live()) return;
      const serving = lists.serving || [];
      out.appendChild(h('p', { class: 'muted' }, serving.length
        ? ['Screening against ', serving.map(versionText).join(', '), '.']
        : 'No list is loaded yet: import one (sanctions update), then reload the server.'));
      return;
    }
    const body = { name };
    if (p.get('dob')) body.birth_date = p.get('dob');
    if (p.get('nat')) body.nationality = p.get('nat');
    if (p.get('kind')) body.kind = p.get('kind');
    if (p.get('as_of')) body.as_of = p.get('as_of');
    say('Screening…');
    out.setAttribute('aria-busy', 'true');
    let res;
    try {
      res = await api('POST', '/v1/screen', body);
    } finally {
      out.removeAttribute('aria-busy');
    }
    if (!ctx.live()) return;
    const hits = res.hits || [];
    const versions = (res.versions || []).map(versionText).join(', ');
    const algo = res.algorithm ? res.algorithm.name + ' v' + res.algorithm.version : '';
    out.appendChild(h('h2', { id: 'results-head', tabindex: -1 },
      hits.length === 0 ? 'No hit' : hits.length === 1 ? '1 hit' : hits.length + ' hits',
      ' for ', h('q', { dir: 'auto' }, name)));
    out.appendChild(h('p', { class: 'muted small provenance' },
      'Against ', versions || 'no list', res.as_of ? ' (as of ' + res.as_of + ')' : '',
      ' · ', algo, ' · threshold ', fmtScore(res.threshold),
      ' · audit record ', h('code', { title: 'query_hash: the key of this screening in the audit log' },
        (res.query_hash || '').slice(0, 16) + '…')));
    if (!hits.length) {
      out.appendChild(h('p', {}, 'No entry scored ', fmtScore(res.threshold),
        ' or more. Check the spelling, or lower the threshold with the API.'));
    } else {
      out.appendChild(h('ol', { class: 'hits' }, hits.map((hit, i) => hitItem(hit, i, p.get('as_of')))));
    }
    say(hits.length + (hits.length === 1 ? ' hit' : ' hits') + ' for ' + name + '.');
    const head = document.getElementById('results-head');
    if (head) head.focus({ preventScroll: true });
  }

  function hitItem(hit, i, asOf) {
    return h('li', { class: 'hit', 'data-source': hit.source, 'data-reference': hit.reference },
      h('div', { class: 'hit-head' },
        h('span', { class: 'rank' }, String(i + 1) + '.'),
        scoreBar(hit.score),
        h('a', { href: entryHref(hit.source, hit.reference, asOf), class: 'ref', 'data-item': '' },
          hit.source + ':' + hit.reference),
        h('span', { class: 'name', dir: 'auto' }, hit.name),
        h('span', { class: 'tag' }, hit.kind),
        (hit.programs || []).map((pr) => h('span', { class: 'tag program' }, pr))),
      h('div', { class: 'hit-body' },
        h('p', { class: 'source muted small' }, SOURCE_NAMES[hit.source] || hit.source),
        regimesBlock(hit.regimes, null),
        reasons(hit.explanation, { matchedName: hit.matched_name })));
  }

  // ---------------------------------------------------------------- Entry

  async function pageEntry(ctx, source, reference) {
    if (!source || !reference) {
      main.appendChild(pageTitle('Open an entry', 'By list and reference, as the list quotes it.'));
      const form = h('form', { class: 'inline-form', id: 'entry-form' },
        h('div', { class: 'field' }, h('label', { for: 'e-source' }, 'List'),
          h('select', { id: 'e-source' }, Object.keys(SOURCE_NAMES).map((s) =>
            h('option', { value: s, selected: s === source }, s + ' · ' + SOURCE_NAMES[s])))),
        h('div', { class: 'field' }, h('label', { for: 'e-ref' }, 'Reference'),
          h('input', { id: 'e-ref', required: true, placeholder: 'TAi.026, QDe.137, 6636', autocomplete: 'off' })),
        h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Open')));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const ref = document.getElementById('e-ref').value.trim();
        if (ref) go(entryHref(document.getElementById('e-source').value, ref));
      });
      main.appendChild(form);
      document.getElementById('e-ref').focus();
      return;
    }
    const asOf = ctx.params.get('as_of') || '';
    const base = '/v1/entities/' + encodeURIComponent(source) + '/' + encodeURIComponent(reference);
    say('Loading ' + source + ':' + reference + '…');
    const [shown, hist] = await Promise.allSettled([
      api('GET', base + (asOf ? '?as_of=' + encodeURIComponent(asOf) : '')),
      api('GET', base + '/history'),
    ]);
    if (!ctx.live()) return;
    const history = hist.status === 'fulfilled' ? hist.value.history || [] : [];
    if (hist.status === 'rejected' && hist.reason.status !== 404) throw hist.reason;
    let entity = null;
    let version = null;
    let notice = null;
    if (shown.status === 'fulfilled') {
      entity = shown.value.entity;
      version = shown.value.version;
    } else if (shown.reason.status === 404 && history.length) {
      // Not in the versions asked for: delisted (or not yet listed on that date).
      const withEntity = history.filter((s) => s.entity);
      const last = withEntity[withEntity.length - 1];
      entity = last ? last.entity : null;
      const final = history[history.length - 1];
      notice = asOf
        ? 'Not on the list on ' + asOf + '. Shown: the entry as it last stood.'
        : final.event === 'delisted'
          ? 'Delisted: removed from the list in version #' + final.first.id + ' published ' +
            final.first.published + '. Shown: the entry as it last stood.'
          : 'Not in the latest versions. Shown: the entry as it last stood.';
    } else {
      throw shown.reason;
    }
    if (!entity) throw new ApiError(404, 'not_found', 'no entry ' + source + ':' + reference);
    const names = entity.names || [];
    const primary = names.length ? names[0].full : entity.reference;
    main.appendChild(pageTitle(primary, null));
    const head = main.querySelector('.page-head');
    head.appendChild(h('p', { class: 'sub' },
      h('span', { class: 'ref' }, entity.source + ':' + entity.reference), ' · ',
      h('span', { class: 'tag' }, entity.kind), ' · ',
      SOURCE_NAMES[entity.source] || entity.source,
      version ? [' · from version #' + version.id + ' published ' + version.published] : null));
    if (notice) head.appendChild(h('p', { class: 'notice', role: 'note' }, notice));

    const asOfForm = h('form', { class: 'inline-form as-of', id: 'asof-form' },
      h('div', { class: 'field' }, h('label', { for: 'e-asof' }, 'As the list stood on'),
        h('input', { id: 'e-asof', type: 'date', value: asOf })),
      h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Show')),
      asOf ? h('div', { class: 'field submit' }, h('a', { href: entryHref(source, reference) }, 'latest')) : null);
    asOfForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      go(entryHref(source, reference, document.getElementById('e-asof').value));
    });
    main.appendChild(asOfForm);

    const grid = h('div', { class: 'entry-grid' });
    main.appendChild(grid);
    const left = h('div', { class: 'entry-data' });
    const right = h('section', { class: 'timeline-box', 'aria-labelledby': 'timeline-head' });
    grid.append(left, right);

    // Regimes and measures (from the regime catalogue).
    const regimeSection = h('section', { 'aria-labelledby': 'regimes-head' },
      h('h2', { id: 'regimes-head' }, 'Regime and measures'));
    left.appendChild(regimeSection);
    const programs = entity.programs || [];
    const regimeSlot = h('div', {}, programs.length ? h('p', { class: 'muted' }, 'Programmes: ' + programs.join(', ')) : h('p', { class: 'muted' }, 'No programme stated.'));
    regimeSection.appendChild(regimeSlot);
    if (programs.length) {
      api('GET', '/ui/regimes?' + new URLSearchParams({
        source: entity.source, kind: entity.kind, programs: programs.join(','),
      }).toString()).then((r) => {
        if (!ctx.live()) return;
        const block = regimesBlock(r.regimes, programs);
        if (block) clear(regimeSlot).appendChild(block);
        regimeSlot.appendChild(h('p', { class: 'muted small' },
          'From the regime catalogue: information for analysts, not legal advice.'));
      }).catch(() => { /* programmes stay shown */ });
    }

    left.appendChild(section('Names', names.length ? h('table', { class: 'names' },
      h('thead', {}, h('tr', {}, ['name', 'quality', 'script', 'list says', 'note'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, names.map((n, i) => h('tr', { class: i === 0 ? 'primary' : '' },
        h('td', { dir: 'auto', lang: n.script === 'arabic' ? 'ar' : n.script === 'cyrillic' ? 'ru' : undefined }, n.full),
        h('td', {}, QUALITY[n.quality] || n.quality),
        h('td', {}, n.script || ''),
        h('td', {}, n.source_quality || ''),
        h('td', {}, n.note || ''))))) : null));

    const facts = [];
    const fact = (label, values) => {
      const vs = (values || []).filter((v) => v !== null && v !== undefined && v !== '');
      if (vs.length) facts.push(h('dt', {}, label), h('dd', {}, vs.length === 1 ? vs[0] : h('ul', {}, vs.map((v) => h('li', { dir: 'auto' }, v)))));
    };
    fact('Dates of birth (as given)', (entity.birth_dates || []).map(birthDateText));
    fact('Places of birth', (entity.birth_places || []).map(addressText));
    fact('Nationalities', entity.nationalities);
    fact('Citizenships', entity.citizenships);
    fact('Gender', entity.gender ? [entity.gender] : []);
    fact('Titles', entity.titles);
    fact('Designations', entity.designations);
    fact('Addresses', (entity.addresses || []).map(addressText));
    fact('Listed on', entity.listed_on ? [entity.listed_on] : []);
    fact('Amended on', entity.amended_on);
    fact('Source id', [entity.source_id]);
    left.appendChild(section('What the list says', facts.length ? h('dl', { class: 'facts' }, facts) : h('p', { class: 'muted' }, 'Nothing more.')));

    const ids = entity.identifiers || [];
    left.appendChild(section('Documents', ids.length ? h('table', { class: 'docs' },
      h('thead', {}, h('tr', {}, ['type', 'number', 'country', 'issued', 'expires', 'note'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ids.map((d) => h('tr', {},
        h('td', {}, d.kind), h('td', { class: 'mono' }, d.number), h('td', {}, d.country || ''),
        h('td', {}, d.issued || ''), h('td', {}, d.expires || ''), h('td', {}, d.note || ''))))) : h('p', { class: 'muted' }, 'No document listed.')));

    if (entity.remarks) left.appendChild(section('Remarks', h('p', { class: 'remarks', dir: 'auto' }, entity.remarks)));
    const extra = entity.extra || {};
    const extraKeys = Object.keys(extra);
    if (extraKeys.length) {
      left.appendChild(section('Other list fields', h('details', {},
        h('summary', {}, extraKeys.length + ' fields as the list writes them'),
        h('dl', { class: 'facts' }, extraKeys.map((k) => [h('dt', {}, k),
          h('dd', { dir: 'auto' }, extra[k].join(' · '))])))));
    }

    // Timeline across versions.
    right.appendChild(h('h2', { id: 'timeline-head' }, 'Timeline across list versions'));
    if (!history.length) {
      right.appendChild(h('p', { class: 'muted' }, 'No history.'));
    } else {
      right.appendChild(h('ol', { class: 'timeline' }, history.map((s) => timelineStep(s, source, reference, version))));
    }
    say(entity.source + ':' + entity.reference + ' ' + primary + ': ' + history.length + ' periods in its history.');
    focusHeading();
  }

  function section(title, content) {
    return h('section', {}, h('h2', {}, title), content);
  }

  const EVENT_TEXT = {
    listed: 'Listed',
    amended: 'Amended',
    delisted: 'Delisted',
    relisted: 'Relisted',
  };

  function timelineStep(s, source, reference, shownVersion) {
    const v = (r) => r ? 'version #' + r.id + ' (' + r.published + ')' : '';
    const period = s.event === 'delisted'
      ? ['Not in ', v(s.first), s.first.id !== s.last.id ? ' to ' + v(s.last) : '',
        s.ended ? ['; back in ', v(s.ended)] : '']
      : ['In ', v(s.first), s.first.id !== s.last.id ? ' to ' + v(s.last) : '',
        s.ended ? ['; changed in ', v(s.ended)] : ' — in force now'];
    const when = s.event === 'listed' && s.entity && s.entity.listed_on
      ? h('p', { class: 'small' }, 'The list gives the listing date ' + s.entity.listed_on + '.')
      : null;
    // The period whose state the page shows (versions are ordered by publication date).
    const shown = shownVersion && s.entity && s.first.published <= shownVersion.published &&
      shownVersion.published <= s.last.published;
    return h('li', { class: 'step ' + s.event + (shown ? ' shown' : ''), 'aria-current': shown ? 'true' : undefined },
      h('div', { class: 'step-head' },
        h('span', { class: 'event ' + s.event }, EVENT_TEXT[s.event] || s.event),
        h('span', { class: 'date' }, s.first.published),
        shown ? h('span', { class: 'tag serving' }, 'shown') : null),
      h('p', { class: 'small muted' }, period),
      when,
      s.changes && s.changes.length ? changesTable(s.changes) : null,
      s.event === 'amended' && (!s.changes || !s.changes.length)
        ? h('p', { class: 'small muted' }, 'No field-level change recorded.') : null,
      s.entity ? h('p', { class: 'small' }, h('a', { href: entryHref(source, reference, s.first.published) },
        'the entry as it stood on ' + s.first.published)) : null);
  }

  // ---------------------------------------------------------------- Lists

  async function pageLists(ctx, diffSource, isDiff) {
    main.appendChild(pageTitle('List versions', 'Every version held, never overwritten; compare any two.'));
    say('Loading list versions…');
    const data = await api('GET', '/v1/lists');
    if (!ctx.live()) return;
    const versions = data.versions || [];
    const serving = new Set((data.serving || []).map((s) => s.version_id));
    const bySource = new Map();
    for (const v of versions) {
      if (!bySource.has(v.source)) bySource.set(v.source, []);
      bySource.get(v.source).push(v);
    }
    if (!bySource.size) {
      main.appendChild(h('p', {}, 'No list version is held yet: import one with ', h('code', {}, 'sanctions update'), '.'));
      say('No list version.');
      return;
    }
    const diffOut = h('section', { id: 'diff', 'aria-label': 'Differences' });
    for (const [source, vs] of bySource) {
      const sorted = vs.slice().sort((a, b) => a.published < b.published ? -1 : a.published > b.published ? 1 : a.id - b.id);
      const sec = h('section', { class: 'source-block', 'aria-labelledby': 'src-' + source },
        h('h2', { id: 'src-' + source }, SOURCE_NAMES[source] || source, h('span', { class: 'muted' }, ' (' + source + ')')));
      sec.appendChild(h('table', { class: 'versions' },
        h('thead', {}, h('tr', {}, ['#', 'published', 'imported', 'entries', 'persons', 'organisations', 'vessels', 'aircraft', 'aliases', 'file'].map((c, i) =>
          h('th', { scope: 'col', class: i >= 3 && i <= 8 ? 'num' : '' }, c)))),
        h('tbody', {}, sorted.slice().reverse().map((v) => {
          const c = v.counts || {};
          return h('tr', { class: serving.has(v.id) ? 'serving' : '' },
            h('td', {}, '#' + v.id),
            h('td', {}, v.published, serving.has(v.id) ? h('span', { class: 'tag serving' }, 'serving') : null),
            h('td', { class: 'small' }, (v.imported_at || '').replace('T', ' ').replace('Z', ' UTC')),
            ['entities', 'persons', 'organizations', 'vessels', 'aircraft', 'aliases'].map((k) =>
              h('td', { class: 'num' }, c[k] === undefined ? '' : c[k].toLocaleString('en'))),
            h('td', { class: 'small mono', title: 'sha256 ' + v.sha256 }, (v.files || []).join(', ')));
        }))));
      if (sorted.length >= 2) {
        const sel = (id, label, chosen) => h('div', { class: 'field' }, h('label', { for: id }, label),
          h('select', { id }, sorted.map((v) => h('option', { value: v.id, selected: String(v.id) === String(chosen) },
            v.published + ' (#' + v.id + ')'))));
        const wanted = diffSource === source && isDiff;
        const from = wanted && ctx.params.get('from') ? ctx.params.get('from') : sorted[sorted.length - 2].id;
        const to = wanted && ctx.params.get('to') ? ctx.params.get('to') : sorted[sorted.length - 1].id;
        const form = h('form', { class: 'inline-form compare', id: 'compare-' + source },
          sel('from-' + source, 'From', from), sel('to-' + source, 'To', to),
          h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Compare')));
        form.addEventListener('submit', (ev) => {
          ev.preventDefault();
          go(hashFor('/lists/' + source + '/diff', {
            from: document.getElementById('from-' + source).value,
            to: document.getElementById('to-' + source).value,
          }));
        });
        sec.appendChild(form);
      }
      main.appendChild(sec);
    }
    main.appendChild(diffOut);
    if (!(isDiff && diffSource)) {
      say(versions.length + ' list versions.');
      focusHeading();
      return;
    }
    const sel = (s) => /^\d+$/.test(s) ? '#' + s : s;
    const qs = new URLSearchParams();
    if (ctx.params.get('from')) qs.set('from', sel(ctx.params.get('from')));
    if (ctx.params.get('to')) qs.set('to', sel(ctx.params.get('to')));
    say('Comparing…');
    const d = await api('GET', '/v1/lists/' + encodeURIComponent(diffSource) + '/diff?' + qs.toString());
    if (!ctx.live()) return;
    renderDiff(diffOut, diffSource, d);
    say(diffSource + ' ' + d.from.published + ' to ' + d.to.published + ': ' + d.added.length + ' added, ' +
      d.removed.length + ' removed, ' + d.amended.length + ' amended.');
    const head = document.getElementById('diff-head');
    if (head) {
      head.focus({ preventScroll: true });
      head.scrollIntoView({ block: 'start' });
    }
  }

  function renderDiff(out, source, d) {
    out.appendChild(h('h2', { id: 'diff-head', tabindex: -1 },
      source + ': version #' + d.from.id + ' (' + d.from.published + ') → #' + d.to.id + ' (' + d.to.published + ')'));
    out.appendChild(h('p', { class: 'diff-summary' },
      h('span', { class: 'count added' }, '+' + d.added.length + ' added'), ' ',
      h('span', { class: 'count removed' }, '−' + d.removed.length + ' removed'), ' ',
      h('span', { class: 'count amended' }, d.amended.length + ' amended'), ' ',
      h('span', { class: 'muted' }, d.unchanged + ' unchanged' +
        (d.schema && d.schema.reformatted ? ', ' + d.schema.reformatted + ' changed only in format' : ''))));
    const sc = d.schema || {};
    if ((sc.fields_added && sc.fields_added.length) || (sc.fields_removed && sc.fields_removed.length)) {
      out.appendChild(h('p', { class: 'notice' }, 'The list format changed: ',
        sc.fields_added && sc.fields_added.length ? ['fields added: ', sc.fields_added.map(fieldLabel).join(', ')] : '',
        sc.fields_removed && sc.fields_removed.length ? ['; fields removed: ', sc.fields_removed.map(fieldLabel).join(', ')] : '',
        '. ', String(sc.reformatted || 0), ' entries changed only in those fields and are not counted as amended.'));
    }
    const filter = h('input', { id: 'diff-filter', type: 'search', placeholder: 'reference or name', autocomplete: 'off' });
    out.appendChild(h('div', { class: 'field inline' }, h('label', { for: 'diff-filter' }, 'Filter'), filter));
    const entry = (e) => [entryLink(source, e.reference, { 'data-item': '' }), ' ', h('span', { dir: 'auto' }, e.name)];
    const block = (cls, title, items, render) => h('section', { class: 'diff-block ' + cls, 'aria-label': title },
      h('h3', {}, title + ' (' + items.length + ')'),
      items.length ? h('ul', { class: 'diff-list' }, items.map((e) => h('li', { 'data-text': (e.reference + ' ' + e.name).toLowerCase() }, render(e))))
        : h('p', { class: 'muted' }, 'None.'));
    out.appendChild(block('added', 'Added', d.added, entry));
    out.appendChild(block('removed', 'Removed', d.removed, entry));
    const open = d.amended.length <= 25;
    out.appendChild(block('amended', 'Amended', d.amended, (e) => h('details', { open },
      h('summary', {}, entry(e), h('span', { class: 'muted small' }, ' · ' + e.changes.map((c) => fieldLabel(c.field)).join(', '))),
      changesTable(e.changes))));
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase();
      for (const li of out.querySelectorAll('li[data-text]')) li.hidden = q !== '' && !li.dataset.text.includes(q);
    });
  }

  // ---------------------------------------------------------------- Alerts

  const STATUS_TEXT = {
    open: 'open',
    false_positive: 'false positive',
    true_match: 'true match',
    delisted: 'delisted',
    cleared: 'cleared',
  };

  function statusTag(s) {
    return h('span', { class: 'tag status-' + s }, STATUS_TEXT[s] || s);
  }

  async function pageAlerts(ctx) {
    const all = ctx.params.get('status') === 'all';
    main.appendChild(pageTitle('Monitoring alerts',
      'Customers whose names meet a listed entry. A false positive stays quiet until the entry changes.'));
    const statusLine = h('p', { class: 'muted', id: 'monitor-status' });
    main.appendChild(statusLine);
    main.appendChild(h('p', { class: 'tabs' },
      h('a', { href: '#/alerts', 'aria-current': all ? undefined : 'true' }, 'Open'), ' · ',
      h('a', { href: '#/alerts?status=all', 'aria-current': all ? 'true' : undefined }, 'All')));
    say('Loading alerts…');
    const [st, res] = await Promise.all([
      api('GET', '/v1/monitor/status').catch(() => null),
      api('GET', '/v1/monitor/alerts?status=' + (all ? 'all' : 'open')),
    ]);
    if (!ctx.live()) return;
    if (st) {
      const run = st.last_run;
      statusLine.textContent = st.customers + ' customers monitored · ' + st.open_alerts + ' open alerts' +
        (run ? ' · last run #' + run.id + (run.kind ? ' (' + String(run.kind).toLowerCase() + ')' : '') +
          (run.finished_at || run.started_at ? ' at ' + String(run.finished_at || run.started_at).replace('T', ' ') : '') : ' · never run');
    }
    const alerts = res.alerts || [];
    if (!alerts.length) {
      main.appendChild(h('p', {}, all ? 'No alert yet.' : 'No open alert.'));
      say('No alert.');
      focusHeading();
      return;
    }
    main.appendChild(h('table', { class: 'alerts' },
      h('thead', {}, h('tr', {}, ['#', 'status', 'customer', 'listed entry', 'score', 'raised', 'decisions'].map((c) =>
        h('th', { scope: 'col' }, c)))),
      h('tbody', {}, alerts.map((a) => h('tr', { class: 'alert-row status-' + a.status },
        h('td', {}, h('a', { href: '#/alerts/' + a.id, 'data-item': '' }, '#' + a.id)),
        h('td', { class: 'nowrap' }, statusTag(a.status),
          a.reopens ? [' ', h('span', { class: 'tag reopened', title: 're-raises alert #' + a.reopens }, 're-opened')] : null),
        h('td', {}, h('span', { dir: 'auto' }, a.customer_name || ''), h('span', { class: 'muted small' }, ' ' + a.customer_id)),
        h('td', {}, entryLink(a.source, a.reference), ' ', h('span', { dir: 'auto' }, a.entry_name)),
        h('td', {}, scoreBar(a.score)),
        h('td', { class: 'small nowrap' }, (a.created_at || '').slice(0, 10)),
        h('td', { class: 'small' }, decisionsSummary(a)))))));
    say(alerts.length + ' alerts.');
    focusHeading();
  }

  function decisionsSummary(a) {
    const ds = a.decisions || [];
    if (!ds.length) return '';
    const last = ds[ds.length - 1];
    return (STATUS_TEXT[last.verdict] || last.verdict) + ' by ' + last.decided_by + (ds.length > 1 ? ' (+' + (ds.length - 1) + ')' : '');
  }

  async function pageAlert(ctx, id) {
    say('Loading alert #' + id + '…');
    const res = await api('GET', '/v1/monitor/alerts/' + encodeURIComponent(id));
    if (!ctx.live()) return;
    renderAlert(ctx, res.alert);
    focusHeading();
  }

  function renderAlert(ctx, a) {
    clear(main);
    main.appendChild(h('p', { class: 'crumbs small' }, h('a', { href: '#/alerts' }, '← open alerts')));
    main.appendChild(pageTitle('Alert #' + a.id, null));
    const head = main.querySelector('.page-head');
    head.appendChild(h('p', { class: 'sub' }, statusTag(a.status), ' raised ', (a.created_at || '').replace('T', ' '),
      ' by monitoring run #' + a.opened_run, a.closed_run ? ', closed by run #' + a.closed_run : '',
      ' · list version #' + a.version_id));
    main.appendChild(h('div', { class: 'pair' },
      h('div', { class: 'party' }, h('h2', {}, 'Customer'),
        h('p', { class: 'big', dir: 'auto' }, a.customer_name || '(name not kept)'),
        h('p', { class: 'muted' }, 'customer id ' + a.customer_id)),
      h('div', { class: 'party-score' }, scoreBar(a.score)),
      h('div', { class: 'party' }, h('h2', {}, 'Listed entry'),
        h('p', { class: 'big', dir: 'auto' }, a.entry_name),
        h('p', {}, entryLink(a.source, a.reference), h('span', { class: 'muted' }, ' · ' + (SOURCE_NAMES[a.source] || a.source))))));

    if (a.reopens || (a.changes && a.changes.length)) {
      main.appendChild(h('section', { class: 'reopened-box', 'aria-labelledby': 'reopen-head' },
        h('h2', { id: 'reopen-head' }, 'Re-opened: the entry changed since the decision'),
        h('p', {}, 'Alert ', a.reopens ? h('a', { href: '#/alerts/' + a.reopens }, '#' + a.reopens) : 'before',
          ' was decided on an earlier revision of the entry. What the list changed since:'),
        changesTable(a.changes || []) || h('p', { class: 'muted' }, 'No field-level change recorded.')));
    }

    main.appendChild(h('section', { 'aria-labelledby': 'why-head' }, h('h2', { id: 'why-head' }, 'Why it matched'),
      reasons(a.explanation, {})));

    const decisions = a.decisions || [];
    const hist = h('section', { 'aria-labelledby': 'decisions-head', id: 'decisions' },
      h('h2', { id: 'decisions-head' }, 'Decisions'));
    if (!decisions.length) {
      hist.appendChild(h('p', { class: 'muted' }, 'No decision yet.'));
    } else {
      hist.appendChild(h('table', { class: 'decisions' },
        h('thead', {}, h('tr', {}, ['when', 'verdict', 'reason', 'by', 'on alert', 'entry revision'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, decisions.map((d) => h('tr', { class: 'decision' },
          h('td', { class: 'small' }, (d.decided_at || '').replace('T', ' ')),
          h('td', {}, statusTag(d.verdict)),
          h('td', { class: 'reason', dir: 'auto' }, d.reason),
          h('td', {}, d.decided_by),
          h('td', {}, d.alert_id === a.id ? 'this one' : h('a', { href: '#/alerts/' + d.alert_id }, '#' + d.alert_id)),
          h('td', { class: 'small mono', title: d.content_hash },
            d.content_hash === a.content_hash ? 'same as now' : 'earlier (' + String(d.content_hash).slice(0, 8) + ')'))))));
    }

    main.appendChild(hist);
    if (a.status === 'delisted' || a.status === 'cleared') {
      main.appendChild(h('p', { class: 'muted' }, a.status === 'delisted'
        ? 'Closed: the entry left the list. No decision is needed.'
        : 'Closed: the customer no longer matches the entry. No decision is needed.'));
    } else {
      main.appendChild(decisionForm(ctx, a));
    }
    say('Alert #' + a.id + ': ' + (STATUS_TEXT[a.status] || a.status) + ', ' + decisions.length + ' decisions.');
  }

  function decisionForm(ctx, a) {
    let by = '';
    try {
      by = localStorage.getItem(BY_STORE) || '';
    } catch (_) {
      by = '';
    }
    const err = h('div', { id: 'decide-error' });
    const form = h('form', { id: 'decide-form', class: 'decide', 'aria-labelledby': 'decide-head' },
      h('h2', { id: 'decide-head' }, a.status === 'open' ? 'Record a decision' : 'Change the decision'),
      a.status === 'open' ? null : h('p', { class: 'muted small' },
        'Decided ' + (STATUS_TEXT[a.status] || a.status) + '. A new decision is added to the history; none is ever erased.'),
      h('fieldset', {}, h('legend', {}, 'Verdict'),
        h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'verdict', value: 'false_positive', required: true }),
          ' False positive', h('span', { class: 'hint' }, ' — not the listed party; quiet until the entry changes')),
        h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'verdict', value: 'true_match' }),
          ' True match', h('span', { class: 'hint' }, ' — the listed party; escalate'))),
      h('div', { class: 'field' }, h('label', { for: 'd-reason' }, 'Reason'),
        h('textarea', { id: 'd-reason', name: 'reason', rows: 3, required: true, maxlength: 4000,
          placeholder: 'e.g. born 1990, other father\'s name' })),
      h('div', { class: 'field' }, h('label', { for: 'd-by' }, 'Decided by'),
        h('input', { id: 'd-by', name: 'by', value: by, autocomplete: 'name', placeholder: 'your name (default: the key id)' })),
      err,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Record decision'),
        h('span', { class: 'hint' }, 'Needs an admin key; recorded in the audit log.')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clear(err);
      const f = new FormData(form);
      const verdict = f.get('verdict');
      const reason = String(f.get('reason') || '').trim();
      const who = String(f.get('by') || '').trim();
      if (!verdict) {
        err.appendChild(errorBox({ message: 'Choose false positive or true match.' }));
        form.querySelector('input[name=verdict]').focus();
        return;
      }
      if (!reason) {
        err.appendChild(errorBox({ message: 'A decision needs a reason.' }));
        document.getElementById('d-reason').focus();
        return;
      }
      try {
        if (who) localStorage.setItem(BY_STORE, who);
      } catch (_) {
        /* not kept */
      }
      const body = { verdict, reason };
      if (who) body.decided_by = who;
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      say('Recording the decision…');
      try {
        const res = await api('POST', '/v1/monitor/alerts/' + a.id + '/decision', body);
        if (!ctx.live()) return;
        renderAlert(ctx, res.alert);
        say('Decision recorded: ' + (STATUS_TEXT[verdict] || verdict) + '.');
        const d = document.getElementById('decisions-head');
        if (d) {
          d.setAttribute('tabindex', '-1');
          d.focus();
        }
      } catch (e) {
        button.disabled = false;
        err.appendChild(errorBox(e));
        say('The decision was not recorded: ' + e.message);
      }
    });
    return form;
  }

  // ---------------------------------------------------------------- keyboard

  let gPending = false;
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (typing || keyDialog.open) return;
    if (gPending) {
      gPending = false;
      const to = { s: '#/screen', e: '#/entry', l: '#/lists', a: '#/alerts' }[ev.key];
      if (to) {
        ev.preventDefault();
        go(to);
      }
      return;
    }
    if (ev.key === '/') {
      ev.preventDefault();
      const input = document.getElementById('q-name');
      if (input) {
        input.focus();
        input.select();
      } else {
        go('#/screen');
      }
    } else if (ev.key === 'g') {
      gPending = true;
      setTimeout(() => { gPending = false; }, 1500);
    } else if (ev.key === 'j' || ev.key === 'k') {
      const items = Array.from(main.querySelectorAll('[data-item]')).filter((el) => el.offsetParent !== null);
      if (!items.length) return;
      ev.preventDefault();
      const at = items.indexOf(document.activeElement);
      const next = ev.key === 'j' ? Math.min(items.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
      items[next].focus();
      items[next].scrollIntoView({ block: 'nearest' });
    }
  });

  window.addEventListener('hashchange', route);
  showKeyState();
  route();
})();
