"""An anime image set as a user brings it (issue 12), built from ../shared media only, and each stage's outcome
per image kind, printed as text (not a test).

``build DIR``: ~50 images: Penny & Chip frames (both children, one child, none; face boxes from
tests/data/penny_and_chip_faces.json), the CC0 characters as RGBA and composited on frames, crops of the anime
face grid at several sizes (some too small for a detector), greyscale and line-art copies, a 40 px and a 4000 px
image, a CMYK JPEG, a 16-bit PNG, a 0-byte file and a truncated JPEG; truth in ``DIR.truth.json``.
``eval HOME FILM DIR``: after ``castforge ingest DIR --film FILM`` and ``castforge materialize FILM`` under
CASTFORGE_HOME=HOME: per kind images / kept frames / instances / kept / with a face / given an identity, every
drop and face-miss reason, and BCubed precision / recall / F of the labelled instances (Penny, Chip, Sita, Saha;
noise counts as a cluster of one).
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import polars as pl
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
S = os.environ.get("CASTFORGE_SHARED", str(ROOT.parent / "shared")) + "/media"


def build(OUT: str) -> None:
    shutil.rmtree(OUT, ignore_errors=True); os.makedirs(OUT)
    CACHE = tempfile.mkdtemp()
    faces = json.load(open(ROOT / "tests/data/penny_and_chip_faces.json"))["frames"]
    truth = {}

    def pc(k):
        p = f'{CACHE}/pc_{k}.png'
        if not os.path.exists(p):
            subprocess.run(['ffmpeg','-loglevel','error','-y','-ss',str(8*k+3.5),'-i',f'{S}/video/2d/penny_and_chip_26shots_480p.mp4','-frames:v','1',p],check=True)
        return Image.open(p).convert('RGB')
    def put(name, im, kind, chars, **kw):
        im.save(f'{OUT}/{name}', **kw); truth[name] = {'kind': kind, 'chars': chars}
    # Penny & Chip: both, one child, none
    for k in [0, 3, 5, 9, 12, 16, 19, 22]:
        f = faces[str(k)]
        put(f'pc_both_{k:02d}.png', pc(k), 'pc_both', [['penny', f['penny']], ['chip', f['chip']]])
    for k in [1, 6, 11, 14, 17, 20]:
        f = faces[str(k)]; im = pc(k)
        cut = f['chip'][0] - 45
        put(f'pc_penny_{k:02d}.png', im.crop((0, 0, cut, 480)), 'pc_one', [['penny', f['penny']]])
        x0 = f['penny'][2] + 35; b = f['chip']
        put(f'pc_chip_{k:02d}.jpg', im.crop((x0, 0, 854, 480)), 'pc_one', [['chip', [b[0]-x0, b[1], b[2]-x0, b[3]]]], quality=92)
    put('pc_none_25.png', pc(25).crop((260, 0, 640, 480)), 'pc_none', [])
    put('pc_none_24.png', pc(2).crop((0, 0, 200, 160)), 'pc_none', [])  # a corner of shot 2 (named 24 in the first set)
    # RGBA characters as they are, and composited on frames
    cz = {}
    for n in ['sita_front', 'saha_front', 'saha_side']:
        im = Image.open(f'{S}/characters_rgba/{n}.png'); cz[n] = im
        a = np.array(im)[:, :, 3]; ys, xs = np.nonzero(a > 127)
        put(f'rgba_{n}.png', im, 'rgba', [[n.split('_')[0], [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]]])
    for i, (n, k, h, x) in enumerate([('sita_front', 25, 380, 300), ('saha_front', 25, 360, 80), ('saha_side', 2, 400, 420),
                                       ('sita_front', 10, 300, 560), ('saha_front', 18, 420, 330), ('saha_side', 13, 330, 40)]):
        bg = pc(k).convert('RGBA'); ch = cz[n]; w = round(ch.width * h / ch.height); ch = ch.resize((w, h), Image.LANCZOS)
        y = 480 - h; bg.alpha_composite(ch, (x, y))
        a = np.array(ch)[:, :, 3]; ys, xs = np.nonzero(a > 127)
        chars = [[n.split('_')[0], [x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1]]]
        put(f'comp_{n}_{k:02d}.png', bg.convert('RGB'), 'composite', chars)
    # anime face grid: whole (a frame full of small faces), 2x2 tiles, one tile, one tile shrunk below usable size
    g = Image.open(f'{S}/faces/anime_face_grid.jpg').convert('RGB')
    put('grid_whole_1024.jpg', g.resize((1024, 1024), Image.LANCZOS), 'grid_tiny_faces', [], quality=92)
    put('grid_2x2_a.jpg', g.crop((0, 0, 1024, 1024)), 'grid_tiles', [], quality=92)
    put('grid_2x2_b.jpg', g.crop((1536, 1536, 2560, 2560)), 'grid_tiles', [], quality=92)
    for r, c in [(0, 2), (3, 1), (4, 4)]:
        put(f'grid_tile_{r}{c}.png', g.crop((c*512, r*512, c*512+512, r*512+512)), 'grid_tile', [])
    put('grid_tile_11_small.png', g.crop((512, 512, 1024, 1024)).resize((96, 96), Image.LANCZOS), 'grid_too_small', [])
    put('grid_3x3_small.png', g.crop((0, 0, 1536, 1536)).resize((360, 360), Image.LANCZOS), 'grid_too_small', [])
    # greyscale and line art (edges only, no colour)
    for k in [5, 16]:
        f = faces[str(k)]
        put(f'grey_pc_{k:02d}.png', pc(k).convert('L'), 'grey', [['penny', f['penny']], ['chip', f['chip']]])
        e = cv2.Canny(cv2.cvtColor(np.array(pc(k)), cv2.COLOR_RGB2GRAY), 60, 140)
        put(f'lineart_pc_{k:02d}.png', Image.fromarray(255 - e), 'lineart', [['penny', f['penny']], ['chip', f['chip']]])
    put('grey_grid_tile_02.png', g.crop((1024, 0, 1536, 512)).convert('L'), 'grey', [])
    # tiny and huge
    put('tiny_40.png', pc(0).resize((40, 22), Image.LANCZOS), 'tiny', [])
    f = faces['19']; s = 4000 / 854
    put('huge_4000.jpg', pc(19).resize((4000, round(480 * s)), Image.LANCZOS), 'huge',
        [[n, [round(v * s) for v in f[n]]] for n in ('penny', 'chip')], quality=90)
    # CMYK JPEG and 16-bit PNG
    f = faces['12']
    put('cmyk_pc_12.jpg', pc(12).convert('CMYK'), 'cmyk', [['penny', f['penny']], ['chip', f['chip']]], quality=92)
    f = faces['9']
    a16 = (np.array(pc(9))[:, :, ::-1].astype(np.uint16) * 257)
    cv2.imwrite(f'{OUT}/png16_pc_09.png', a16); truth['png16_pc_09.png'] = {'kind': 'png16', 'chars': [['penny', f['penny']], ['chip', f['chip']]]}
    # broken: 0-byte, truncated JPEG
    open(f'{OUT}/empty.jpg', 'wb').close(); truth['empty.jpg'] = {'kind': 'empty', 'chars': []}
    pc(3).save(f'{CACHE}/full3.jpg', quality=92); b = open(f'{CACHE}/full3.jpg', 'rb').read()
    open(f'{OUT}/truncated_pc_03.jpg', 'wb').write(b[: len(b) * 2 // 5]); truth['truncated_pc_03.jpg'] = {'kind': 'truncated', 'chars': []}
    json.dump(truth, open(OUT.rstrip("/") + ".truth.json", "w"), indent=1)
    print(len(truth), "images in", OUT)


def label(truth, row, image):
    best, lab = 0.0, None
    for name, b in truth[image]['chars']:
        if name in ('penny', 'chip'):  # face box: its centre inside the instance box, the instance not much wider than 4 faces
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            if row['x0'] <= cx <= row['x1'] and row['y0'] <= cy <= row['y1']:
                fw = b[2] - b[0]; inside = (min(row['x1'], b[2]) - max(row['x0'], b[0])) / fw
                sc = inside / max(1.0, (row['x1'] - row['x0']) / (3.5 * fw))
                if sc > best: best, lab = sc, name
        else:
            ix = max(0, min(row['x1'], b[2]) - max(row['x0'], b[0])) * max(0, min(row['y1'], b[3]) - max(row['y0'], b[1]))
            u = (row['x1'] - row['x0']) * (row['y1'] - row['y0']) + (b[2] - b[0]) * (b[3] - b[1]) - ix
            if ix / u > 0.4 and ix / u > best: best, lab = ix / u, name
    return lab if best > 0.5 else None


def bcubed(pairs):
    P = R = 0.0
    for l, c in pairs:
        same_c = [x for x in pairs if x[1] == c]; same_l = [x for x in pairs if x[0] == l]
        P += sum(x[0] == l for x in same_c) / len(same_c); R += sum(x[1] == c for x in same_l) / len(same_l)
    P /= len(pairs); R /= len(pairs); return P, R, 2 * P * R / (P + R)


def evaluate(home: str, film: str, folder: str, verbose: bool) -> None:
    truth = json.load(open(folder.rstrip("/") + ".truth.json"))
    T = f'{home}/films/{film}/tables/'
    fr = pl.read_parquet(T + 'frames.parquet')
    ins = pl.read_parquet(T + 'filtered_instances.parquet')
    faces = pl.read_parquet(T + 'faces.parquet')
    ids = pl.read_parquet(T + 'identity_clusters.parquet')
    miss = dict(pl.read_parquet(T + 'face_misses.parquet').select('instance_id', 'reason').iter_rows())
    src = dict(fr.select('frame_id', 'source').iter_rows())
    idof = {r['instance_id']: r for r in ids.iter_rows(named=True)}
    faced = set(faces['instance_id'])
    per = defaultdict(Counter); rows = []; notes = defaultdict(Counter)
    for image, t in truth.items(): per[t['kind']]['images'] += 1
    for r in fr.iter_rows(named=True):
        k = truth[r['source']]['kind']
        if r['kept']: per[k]['frames_kept'] += 1
        else: notes[k]['frame dropped: ' + (r['drop_reason'] or '')[:40]] += 1
    for r in ins.iter_rows(named=True):
        image = src[r['frame_id']]; k = truth[image]['kind']
        per[k]['instances'] += 1
        if not r['kept']:
            notes[k]['inst dropped: ' + (r['reason'] or '')[:50]] += 1; continue
        per[k]['kept'] += 1
        per[k]['face'] += r['instance_id'] in faced
        ident = idof.get(r['instance_id'], {}).get('identity')
        per[k]['identity'] += ident not in (None, 'noise')
        if r['instance_id'] in miss: notes[k]['miss: ' + miss[r['instance_id']][:45]] += 1
        lab = label(truth, r, image)
        rows.append((image, r['instance_id'], lab, ident, r['instance_id'] in faced, [round(r[c]) for c in ('x0', 'y0', 'x1', 'y1')]))
    print(f"{'kind':18s} images frames_kept inst kept face identity")
    for k, c in per.items():
        print(f"{k:18s} {c['images']:6d} {c['frames_kept']:11d} {c['instances']:4d} {c['kept']:4d} {c['face']:4d} {c['identity']:8d}")
    for k, c in notes.items():
        for n, v in c.items(): print('   ', k, n, v)
    lab = [(l, i if i not in (None, 'noise') else 'noise:' + iid) for _, iid, l, i, _, _ in rows if l]
    for group, names in [('pc', ('penny', 'chip')), ('rgba', ('sita', 'saha')), ('all', ('penny', 'chip', 'sita', 'saha'))]:
        sub = [x for x in lab if x[0] in names]
        if sub: print(group, 'labelled', len(sub), 'P/R/F %.3f %.3f %.3f' % bcubed(sub), Counter(sub and [(l, c if not c.startswith('noise') else 'noise') for l, c in sub]))
    if verbose:
        for r in rows: print(*r)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build").add_argument("folder")
    ev = sub.add_parser("eval")
    ev.add_argument("home"); ev.add_argument("film"); ev.add_argument("folder"); ev.add_argument("-v", action="store_true")
    args = parser.parse_args()
    build(args.folder) if args.command == "build" else evaluate(args.home, args.film, args.folder, args.v)
