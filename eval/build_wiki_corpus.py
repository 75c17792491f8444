#!/usr/bin/env python3
"""Rebuild the `wiki` evaluation corpus (/work/evaldata/wiki/) from a git snapshot.

Source: GitHub repository abhishek9871/rrbntpccontentAmp, commit
42d1bf09d26c389727bb0cf05306ec85e012249c, folder
content/rrb-ntpc/study-materials/wikimedia/ -- saved Wikipedia HTML pages
(CC BY-SA; see eval/CORPORA.md).  This script holds no article text: it reads
the HTML out of the snapshot's git directory and writes one .txt per article:
title on the first line, a blank line, then the body (headings and paragraphs,
no tables, references, infoboxes or navigation).

Usage:
    python eval/build_wiki_corpus.py GIT_DIR [OUT_DIR]
GIT_DIR is the snapshot's git directory (e.g. the path `fetch` returned, or a
clone's .git); OUT_DIR defaults to $CITEDESK_WIKI_CORPUS or /work/evaldata/wiki.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

COMMIT = "42d1bf09d26c389727bb0cf05306ec85e012249c"
BASE = "content/rrb-ntpc/study-materials/wikimedia/"

# (output file name, title, path under BASE).  English pages only; the
# repository also holds German pages and generated placeholder pages, skipped.
ARTICLES = [
    ("blood.txt", "Blood", "science/biology/blood_1319508762.html"),
    ("cell.txt", "Cell (biology)", "science/biology/cell_1319521240.html"),
    ("disease.txt", "Disease", "science/biology/disease_1318519893.html"),
    ("human_anatomy.txt", "Human anatomy", "science/biology/human_anatomy_1293568406.html"),
    ("plant.txt", "Plant", "science/biology/plant_1317009702.html"),
    ("taxonomy.txt", "Taxonomy (biology)", "science/biology/taxonomy_1314869660.html"),
    ("acid.txt", "Acid", "science/chemistry/acid_1298836412.html"),
    ("atom.txt", "Atom", "science/chemistry/atom_1319509621.html"),
    ("base.txt", "Base (chemistry)", "science/chemistry/base_1297874383.html"),
    ("chemical_bond.txt", "Chemical bond", "science/chemistry/chemical_bond_1305343114.html"),
    ("periodic_table.txt", "Periodic table", "science/chemistry/periodic_table_1317929863.html"),
    (
        "environmental_science.txt",
        "Environmental science",
        "science/environmental/environmental_science_1314325017.html",
    ),
    ("biodiversity.txt", "Biodiversity", "science/general/biodiversity_1317660757.html"),
    (
        "scientific_instrument.txt",
        "Scientific instrument",
        "science/general/scientific_instrument_1303677775.html",
    ),
    ("si_units.txt", "International System of Units", "science/general/si_units_1318235358.html"),
    ("gravity.txt", "Gravity", "science/physics/gravity_1312856522.html"),
    ("motion.txt", "Motion", "science/physics/motion_1318299894.html"),
    (
        "newtons_laws.txt",
        "Newton's laws of motion",
        "science/physics/newtons_laws_of_motion_1313918647.html",
    ),
    ("sound.txt", "Sound", "science/physics/sound_1314635102.html"),
    ("work_physics.txt", "Work (physics)", "science/physics/work_1306675761.html"),
    (
        "constitution_of_india.txt",
        "Constitution of India",
        "general-awareness/test_collection/Constitution_of_India/Constitution_of_India.html",
    ),
    (
        "geography_of_india.txt",
        "Geography of India",
        "general-awareness/test_collection/Geography_of_India/Geography_of_India.html",
    ),
    (
        "isro.txt",
        "Indian Space Research Organisation",
        "general-awareness/test_collection/ISRO/ISRO.html",
    ),
    (
        "mahatma_gandhi.txt",
        "Mahatma Gandhi",
        "general-awareness/test_collection/Mahatma_Gandhi/Mahatma_Gandhi.html",
    ),
    (
        "bal_gangadhar_tilak.txt",
        "Bal Gangadhar Tilak",
        "general-awareness/test_improved_collection/Bal_Gangadhar_Tilak/Bal_Gangadhar_Tilak.html",
    ),
    (
        "bhagat_singh.txt",
        "Bhagat Singh",
        "general-awareness/test_improved_collection/Bhagat_Singh/Bhagat_Singh.html",
    ),
    (
        "lala_lajpat_rai.txt",
        "Lala Lajpat Rai",
        "general-awareness/test_improved_collection/Lala_Lajpat_Rai/Lala_Lajpat_Rai.html",
    ),
    ("himalayas.txt", "Himalayas", "general-awareness/geography/Himalayas/index.html"),
    (
        "international_organization.txt",
        "International organization",
        "general-awareness/organizations/International_organization/index.html",
    ),
    (
        "un_member_states.txt",
        "Member states of the United Nations",
        "general-awareness/organizations/Member_states_of_the_United_Nations/index.html",
    ),
]

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
SKIP_TAGS = {"style", "script", "table", "figure", "math", "noscript"}
SKIP_CLASSES = (
    "mw-editsection",
    "reference",
    "navbox",
    "infobox",
    "hatnote",
    "mw-empty-elt",
    "noprint",
    "sidebar",
    "thumb",
    "metadata",
    "shortdescription",
    "mwe-math-element",
    "reflist",
    "refbegin",
)


class Extractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, opens_content, skip)
        self.in_content = 0
        self.skip = 0
        self.block = None  # 'p' or 'h'
        self.buf = []
        self.blocks = []
        self.regions = []  # one list of blocks per content region

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        opens = (
            not self.in_content
            and tag == "div"
            and "mw-parser-output" in cls.split()
            and "mw-content-ltr" in cls.split()
        )
        skip = self.in_content and (tag in SKIP_TAGS or any(c in cls.split() for c in SKIP_CLASSES))
        if tag in VOID:
            return
        self.stack.append((tag, opens, skip))
        if opens:
            self.in_content = 1
            self.blocks = []
        if skip:
            self.skip += 1
        if self.in_content and not self.skip:
            if tag == "p" and self.block is None:
                self.block, self.buf = "p", []
            elif tag in ("h2", "h3") and self.block is None:
                self.block, self.buf = "h", []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        # pop to the matching tag (tolerate sloppy HTML)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                break
        else:
            return
        while len(self.stack) > i:
            t, opens, skip = self.stack.pop()
            if skip:
                self.skip -= 1
            if self.block and (
                (self.block == "p" and t == "p") or (self.block == "h" and t in ("h2", "h3"))
            ):
                text = re.sub(r"\s+", " ", "".join(self.buf)).strip()
                if text:
                    self.blocks.append((self.block, text))
                self.block = None
            if opens:
                self.in_content = 0
                self.regions.append(self.blocks)
                self.blocks = []

    def handle_data(self, data):
        if self.block and not self.skip:
            self.buf.append(data)


MAX_CHARS = 30000

STOP_HEADINGS = {
    "See also",
    "References",
    "Notes",
    "Further reading",
    "External links",
    "Sources",
    "Bibliography",
    "Citations",
    "Footnotes",
    "Explanatory notes",
}


def extract(raw):
    p = Extractor()
    p.feed(raw)
    # the page may hold the article twice (a lead-only excerpt and the full
    # text); keep the longest region
    blocks = max(p.regions, key=lambda r: sum(len(t) for _, t in r), default=[])
    out = []
    for kind, text in blocks:
        if kind == "h":
            if text in STOP_HEADINGS:
                break
            out.append(text)
        else:
            text = re.sub(r"\[\s*(\d+|[a-z]|citation needed|note \d+)\s*\]", "", text)
            text = re.sub(r"\s+([,.;:])", r"\1", text)
            if len(text) >= 40:
                out.append(text)
    # cap the length (the corpus wants 2-30 KB articles): stop at the last
    # whole paragraph that fits
    kept, size = [], 0
    for block in out:
        if size + len(block) + 2 > MAX_CHARS:
            break
        kept.append(block)
        size += len(block) + 2
    while kept and len(kept[-1]) < 80:  # drop a dangling heading
        kept.pop()
    return "\n\n".join(kept)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    git_dir = sys.argv[1]
    out_dir = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.environ.get("CITEDESK_WIKI_CORPUS", "/work/evaldata/wiki")
    )
    os.makedirs(out_dir, exist_ok=True)
    for name, title, path in ARTICLES:
        raw = subprocess.run(
            ["git", "--git-dir", git_dir, "show", f"{COMMIT}:{BASE}{path}"],
            check=True,
            capture_output=True,
        ).stdout.decode("utf-8")
        body = extract(raw)
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(f"{title}\n\n{body}\n")
        print(f"{name}\t{len(body)}")


if __name__ == "__main__":
    main()
