# Copyright (c) mmzedo contributors. All rights reserved.
"""Print a Markdown table (millimetres) from metric JSON files written by
``tools/test.py --out``.

    python tools/analysis/metrics_table.py NAME=metrics.json [NAME=...]
"""
import argparse
import json

KEYS = ('MPJPE', 'P-MPJPE', 'N-MPJPE')


def table(rows) -> str:
    lines = ['| setting | ' + ' | '.join(f'{k} (mm)' for k in KEYS) + ' |',
             '|---|' + '---:|' * len(KEYS)]
    for name, path in rows:
        with open(path) as f:
            m = json.load(f)
        cells = [f'{1000 * m[k]:.1f}' if k in m else '-' for k in KEYS]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('rows', nargs='+', help='NAME=metrics.json')
    args = p.parse_args()
    print(table([r.split('=', 1) for r in args.rows]))
