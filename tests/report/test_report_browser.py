# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real browser opens index.html from disk: headless Chromium.

`--dump-dom` shows what Chromium parsed (the SVG charts and the tables); a
screenshot shows what it painted: the page is not blank, and the colours of
the bar chart, the timeline and the red flags are on it.

The browser comes from tests/report/ensure-chromium.sh (Debian's `chromium`).
Without one these tests are skipped, unless SRE_OOM_REQUIRE_BROWSER=1 (as
`make test` sets it), when they fail.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib

import pytest

from report_html import Page

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--hide-scrollbars', '--mute-audio']

BAR = (0xd9, 0x48, 0x0f)        # kills per host
GLOBAL = (0xc9, 0x2a, 0x2a)     # timeline, global kills
MEMCG = (0xf0, 0x8c, 0x00)      # timeline, memcg kills
CRIT = (0xc0, 0x26, 0x2d)       # critical finding badges


@pytest.fixture(scope='module')
def chromium():
    for name in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser',
                 'google-chrome-stable', 'google-chrome'):
        if name and shutil.which(name):
            return shutil.which(name)
    msg = 'no Chromium: run tests/report/ensure-chromium.sh'
    if os.environ.get('SRE_OOM_REQUIRE_BROWSER') == '1':
        pytest.fail(msg)
    pytest.skip(msg)


def run_browser(chromium, tmp_path, *args):
    profile = tmp_path / ('profile-%d' % len(list(tmp_path.iterdir())))
    proc = subprocess.run(
        [chromium, *FLAGS, '--user-data-dir=%s' % profile, *args],
        capture_output=True, timeout=180, check=False,
        env=dict(os.environ, HOME=str(tmp_path)))
    assert proc.returncode == 0, proc.stderr.decode(errors='replace')[-3000:]
    return proc


def decode_png(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    width, height, depth, ctype, _compression, _filter, interlace = header
    assert depth == 8 and ctype in (2, 6) and interlace == 0, header
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def near(px, colour, tol=12):
    return all(abs(p - c) <= tol for p, c in zip(px, colour))


@pytest.fixture(scope='module')
def fleet_page(report):
    res = report('fleet', textfile=True)
    html = res['dir'] / 'index.html'
    assert html.exists(), res['log'][-4000:]
    return html


def test_chromium_parses_charts_and_tables(chromium, fleet_page, tmp_path):
    proc = run_browser(chromium, tmp_path, '--dump-dom', fleet_page.as_uri())
    p = Page()
    p.feed(proc.stdout.decode('utf-8'))
    p.close()
    assert p.count('svg') == 2
    assert p.count('rect', **{'class': 'bar'}) == 2
    assert p.count('rect', **{'class': 'tl'}) >= 3
    assert len(p.tables['events']) == 1 + 4
    assert len(p.tables['policy']) == 1 + 3                   # one row per distinct policy
    assert len(p.tables['hosts']) == 1 + 7
    assert len(p.tables['nodata']) == 1 + 3
    assert p.count('script') == 1        # the page's own; the hostile comm stayed text
    assert ('html', {'lang': 'en', 'class': 'js'}) in p.tags    # and the page's script ran


def test_chromium_paints_the_page(chromium, fleet_page, tmp_path):
    shot = tmp_path / 'page.png'
    # laid out at 1280x2400, painted at half scale: a quarter of the pixels to decode
    run_browser(chromium, tmp_path, '--window-size=1280,2400', '--force-device-scale-factor=0.5',
                '--screenshot=%s' % shot, fleet_page.as_uri())
    width, height, rows = decode_png(shot.read_bytes())
    assert width >= 640 and height >= 1200
    pixels = [px for row in rows for px in row]
    not_white = sum(1 for px in pixels if min(px) < 235)
    assert not_white > 0.03 * len(pixels), 'page looks blank'
    counts = {name: sum(1 for px in pixels if near(px, colour))
              for name, colour in (('bar', BAR), ('global', GLOBAL), ('memcg', MEMCG), ('crit', CRIT))}
    scale = width / 1280.0
    assert counts['bar'] > 1000 * scale * scale, counts      # the kills-per-host bars
    assert counts['memcg'] > 100 * scale * scale, counts     # timeline, memcg kills
    assert counts['global'] + counts['crit'] > 100 * scale * scale, counts  # global kills, red flags


@pytest.fixture(scope='module')
def fleet_5000(tmp_path_factory):
    """index.html of 5,000 hosts x 20 kills, rendered by the Python core (no playbook run)."""
    import datetime as dt
    import random
    import sys

    from conftest import REPO
    sys.path[:0] = [str(REPO / 'build' / 'collections'), str(REPO / 'bench' / 'report')]
    import generate  # pylint: disable=import-error
    from ansible_collections.sre.oom.plugins.plugin_utils import _render_html, _report, _report_host  # pylint: disable=import-error

    rnd = random.Random(5000)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    inputs = [('node-%05d' % i,) + _report_host.host_input('node-%05d' % i, facts=generate.host_facts(i, 20, now, rnd)['oom'])
              for i in range(5000)]
    report, view = _report.build(inputs, since='-7d')
    out = tmp_path_factory.mktemp('fleet-5000') / 'index.html'
    out.write_text(_render_html.html(report, view), encoding='utf-8')
    return out


def test_chromium_opens_the_5000_host_page(chromium, fleet_5000, tmp_path):
    assert fleet_5000.stat().st_size <= 10 * 1024 * 1024
    proc = run_browser(chromium, tmp_path, '--dump-dom', fleet_5000.as_uri())
    p = Page()
    p.feed(proc.stdout.decode('utf-8'))
    p.close()
    assert len(p.tables['hosts']) == 1 + 5000             # every host, filterable
    assert len(p.tables['events']) == 1 + 500             # the kills, capped
    assert len(p.tables['top']) == 1 + 50
    assert 1 < len(p.tables['policy']) < 10               # grouped by identical policy
    assert ('html', {'lang': 'en', 'class': 'js'}) in p.tags


NEW_TABLES = ('subtrees', 'domains', 'pressure')    # heading ids; their tables are <id>-table


def test_chromium_new_tables_fit_and_paint_at_1400px(chromium, fleet_page, tmp_path):
    """At 1400 px the tables of kills per unit, next victims per domain and memory pressure
    are no wider than their heading (names wrap or are shortened, nothing runs off the
    page), and the pressure table paints its over-the-limit mark."""
    probe = tmp_path / 'probe.html'
    measure = ("<script>document.body.setAttribute('data-layout', %r.split(' ').map(function (id) {"
               "var t = document.getElementById(id + '-table'), h = document.getElementById(id);"
               "return id + ':' + t.offsetWidth + ':' + h.offsetWidth + ':'"
               " + Math.round(t.getBoundingClientRect().top + window.scrollY); }).join(' ')"
               " + ' page:' + document.documentElement.scrollWidth + ':' + window.innerWidth);</script></body>"
               % ' '.join(NEW_TABLES))
    probe.write_text(fleet_page.read_text(encoding='utf-8').replace('</body>', measure), encoding='utf-8')
    proc = run_browser(chromium, tmp_path, '--window-size=1400,5000', '--dump-dom', probe.as_uri())
    p = Page()
    p.feed(proc.stdout.decode('utf-8'))
    p.close()
    layout = [a['data-layout'] for t, a in p.tags if t == 'body' and a.get('data-layout')][0]
    got = {k: [int(x) for x in v] for k, *v in (item.split(':') for item in layout.split())}
    assert got['page'][0] <= got['page'][1] == 1400, layout
    for ident in NEW_TABLES:
        table_w, heading_w, _top = got[ident]
        assert 0 < table_w <= heading_w, layout
    shot = tmp_path / 'page-1400.png'
    run_browser(chromium, tmp_path, '--window-size=1400,5000', '--force-device-scale-factor=0.5',
                '--screenshot=%s' % shot, probe.as_uri())
    if os.environ.get('SRE_OOM_SCREENSHOT_DIR'):
        shutil.copy(shot, os.path.join(os.environ['SRE_OOM_SCREENSHOT_DIR'], 'report-1400.png'))
    width, _height, rows = decode_png(shot.read_bytes())
    scale = width / 1400.0
    top = int(got['pressure'][2] * scale)
    pressure_rows = rows[top:top + int(120 * scale)]
    crit = sum(1 for row in pressure_rows for px in row if near(px, CRIT))
    assert crit > 150 * scale * scale, crit       # the red `over its limit` badge and the 71%
