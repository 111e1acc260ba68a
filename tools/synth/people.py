"""Synthetic residents. Names are drawn from common Japanese surnames and given names with their
readings; every person, address and id here is invented."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SURNAMES = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("髙橋", "タカハシ"),
    ("渡邊", "ワタナベ"),
    ("長谷川", "ハセガワ"),
    ("大野", "オオノ"),
    ("小川", "オガワ"),
]
GIVEN = [
    ("陽翔", "ハルト", "1"),
    ("蓮", "レン", "1"),
    ("湊", "ミナト", "1"),
    ("大和", "ヤマト", "1"),
    ("悠真", "ユウマ", "1"),
    ("蒼", "アオイ", "1"),
    ("樹", "イツキ", "1"),
    ("翔太", "ショウタ", "1"),
    ("健一", "ケンイチ", "1"),
    ("誠", "マコト", "1"),
    ("陽葵", "ヒマリ", "2"),
    ("凛", "リン", "2"),
    ("結菜", "ユイナ", "2"),
    ("芽依", "メイ", "2"),
    ("葵", "アオイ", "2"),
    ("紬", "ツムギ", "2"),
    ("さくら", "サクラ", "2"),
    ("美咲", "ミサキ", "2"),
    ("花子", "ハナコ", "2"),
    ("優子", "ユウコ", "2"),
]
TOWNS = ["豊玉北", "豊玉南", "桜台", "練馬", "向山", "貫井", "石神井町", "大泉学園町", "光が丘", "関町北"]
RELATIONS = ["母", "父", "祖母", "本人"]


@dataclass
class SynthResident:
    atena_no: str
    household_no: str
    surname: str
    surname_kana: str
    given: str
    given_kana: str
    sex: str
    birth_date: date
    address: str
    postal_code: str
    guardian_name: str
    move_reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given}"

    @property
    def name_kana(self) -> str:
        return f"{self.surname_kana} {self.given_kana}"


VARIANTS = {"高": "髙", "崎": "﨑", "辺": "邊", "斎": "齋", "沢": "澤", "浜": "濵", "吉": "𠮷"}


def _hira_to_kata(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in s)


class NamePool:
    """Surnames by their real frequency and given names with readings, from the japanese-personal-name-dataset
    wheel (no download); the small built-in lists stand in where the package is missing."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames: list[tuple[str, str]] = []
        self.weights: list[float] = []
        self.given: dict[str, list[tuple[str, str]]] = {"1": [], "2": []}
        try:
            import japanese_personal_name_dataset as jpnd

            root = Path(jpnd.__file__).parent / "dataset"
            with (root / "last_name_org.csv").open(encoding="utf-8") as fh:
                for row in csv.reader(fh):
                    if len(row) >= 3 and row[1].isdigit():
                        self.surnames.append((row[0], _hira_to_kata(row[2])))
                        self.weights.append(float(row[1]))
            for sex, name in (("1", "first_name_man_opti.csv"), ("2", "first_name_woman_opti.csv")):
                with (root / name).open(encoding="utf-8") as fh:
                    for row in csv.reader(fh):
                        if len(row) >= 3:
                            self.given[sex] += [(k, _hira_to_kata(row[0])) for k in row[2:6] if k]
        except (ImportError, OSError):
            pass
        if not self.surnames:
            self.surnames, self.weights = list(SURNAMES), [1.0] * len(SURNAMES)
        for sex in ("1", "2"):
            if not self.given[sex]:
                self.given[sex] = [(g, k) for g, k, s in GIVEN if s == sex]

    def surname(self) -> tuple[str, str]:
        if not hasattr(self, "_cum"):
            self._cum = list(__import__("itertools").accumulate(self.weights))  # once: 740,000 draws stay fast
        kanji, kana = self.rng.choices(self.surnames, cum_weights=self._cum)[0]
        if self.rng.random() < 0.05:  # 異体字 in the register: 髙橋, 渡邊, 﨑…
            kanji = "".join(VARIANTS.get(c, c) for c in kanji)
        return kanji, kana

    def given_name(self, sex: str) -> tuple[str, str]:
        return self.rng.choice(self.given[sex])


def make_residents(n: int, seed: int, *, today: date, max_age_years: int = 13) -> list[SynthResident]:
    """n residents in households, with real surname frequencies; some households hold twins (same birth
    date, different given name), and some unrelated pairs share name and birth date."""
    rng = random.Random(seed)
    names = NamePool(rng)
    out: list[SynthResident] = []
    household = 0
    while len(out) < n:
        household += 1
        if out and rng.random() < 0.002:  # same name + same birth date, another household (rare, but it happens)
            twin = rng.choice(out)
            out.append(
                SynthResident(
                    atena_no=f"{100000000 + (len(out) + 1) * 7:012d}",
                    household_no=f"{500000 + household:010d}",
                    surname=twin.surname,
                    surname_kana=twin.surname_kana,
                    given=twin.given,
                    given_kana=twin.given_kana,
                    sex=twin.sex,
                    birth_date=twin.birth_date,
                    address=f"東京都練馬区{rng.choice(TOWNS)}1-{rng.randint(1, 30)}-1",
                    postal_code="176-0001",
                    guardian_name=f"{twin.surname} {names.given_name('2')[0]}",
                )
            )
            continue
        sur, sur_kana = names.surname()
        town = rng.choice(TOWNS)
        address = f"東京都練馬区{town}{rng.randint(1, 6)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
        postal = f"17{rng.randint(6, 9)}-{rng.randint(0, 9999):04d}"
        parent_given = names.given_name("2")[0]
        guardian = f"{sur} {parent_given}"
        kids = 2 if rng.random() < 0.08 else 1  # twins
        birth = today - timedelta(days=rng.randint(60, 365 * max_age_years))
        used: set[str] = set()
        for _ in range(kids):
            sex = rng.choice("12")
            g, g_kana = names.given_name(sex)
            while g in used:
                g, g_kana = names.given_name(sex)
            used.add(g)
            seq = len(out) + 1
            out.append(
                SynthResident(
                    atena_no=f"{100000000 + seq * 7:012d}",
                    household_no=f"{500000 + household:010d}",
                    surname=sur,
                    surname_kana=sur_kana,
                    given=g,
                    given_kana=g_kana,
                    sex=sex,
                    birth_date=birth,
                    address=address,
                    postal_code=postal,
                    guardian_name=guardian,
                    move_reason="転出" if rng.random() < 0.03 else "",
                )
            )
    return out[:n]


RESIDENT_COLUMNS = [
    "宛名番号",
    "世帯番号",
    "氏名",
    "氏名_振り仮名",
    "生年月日",
    "性別",
    "住所",
    "住所_郵便番号",
    "異動事由",
    "異動年月日",
    "削除フラグ",
]


def write_residents_csv(residents: list[SynthResident], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(RESIDENT_COLUMNS)
        for r in residents:
            w.writerow(
                [
                    r.atena_no,
                    r.household_no,
                    r.name,
                    r.name_kana,
                    r.birth_date.isoformat(),
                    r.sex,
                    r.address,
                    r.postal_code,
                    r.move_reason,
                    "",
                    "0",
                ]
            )


def make_lots(vaccine_codes: list[str], seed: int, *, today: date) -> list[tuple[str, str, date]]:
    """(lot number, vaccine code, expiry): letters and digits like the makers print on vial boxes."""
    rng = random.Random(seed)
    lots = []
    letters = "ABCDEFGHJKLMNPRSTUVWXY"  # no I/O/Q/Z: makers avoid them, and so do confusion tables
    for code in vaccine_codes:
        for _ in range(3):
            lot = rng.choice(letters) + rng.choice(letters) + f"{rng.randint(0, 9999):04d}"
            lots.append((lot, code, today + timedelta(days=rng.randint(90, 700))))
    return lots
