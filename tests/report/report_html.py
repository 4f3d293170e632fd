# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a rendered index.html in the report tests (standard library only)."""
from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """What the tests look at in index.html: elements, text, external refs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.text = []
        self.stack = []
        self.tables = {}        # class -> list of rows (list of cell texts)
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == 'table':
            # keyed by the table's first class (`events` of `events sortable`)
            self._table = self.tables.setdefault(((a.get('class') or '').split() or [''])[0], [])
        elif tag == 'tr' and self._table is not None:
            self._row = []
        elif tag in ('td', 'th') and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self._cell is not None:
            self._row.append(''.join(self._cell).strip())
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == 'table':
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def count(self, tag, **attrs):
        return sum(1 for t, a in self.tags if t == tag and all(
            v in (a.get(k) or '').split() for k, v in attrs.items()))


def page(out):
    p = Page()
    p.feed((out / 'index.html').read_text(encoding='utf-8'))
    p.close()
    return p
