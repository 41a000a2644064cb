"""The real `sop_definitions/` against the SOP tables printed in the seeds (DOMAIN.md §1).

Every expected value below is copied from the seed line cited next to it, not from the YAML.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import S4

from workflow.sop.spec import SopRegistry, SopSpec, StepKind

REPO = Path(__file__).resolve().parents[2]
SOP_DIR = REPO / "sop_definitions"


class Seed(NamedTuple):
    """One SOP table as the seed prints it."""

    lines: str  # the whole table, header to last step
    steps: int
    nomor: str
    nama: str
    unit: str | None
    tanggal_pembuatan: str
    tanggal_revisi: str | None
    tanggal_efektif: str
    disahkan_oleh: str  # the seed cell verbatim, markup included
    columns: list[str]  # executor column headings, left to right
    numbers: list[str]  # the No. column
    kolom: list[str | None]  # the executor column holding each step's marker; None when blank
    waktu: list[str | None]
    output: list[str | None]
    sources: list[int]  # the seed line of each step


SEEDS: dict[str, Seed] = {
    # S3: Kutorejo "Mekanisme Pengumpulan Data Kinerja"
    "pengumpulan-data-kinerja": Seed(
        lines="002:1342-1369",
        steps=9,
        nomor="065/ 11 /416-307/2022",  # 002:1342
        nama="Mekanisme Pengumpulan Data Kinerja",  # 002:1347
        unit=None,  # 002:1347 has no unit cell
        tanggal_pembuatan="3 Februari 2022",  # 002:1343
        tanggal_revisi=None,  # 002:1344 blank
        tanggal_efektif="3 Februari 2022",  # 002:1345
        disahkan_oleh=" CAMAT KUTOREJO <u>NURYADI, SH., MM</u> Pembina Tk.I NIP. 19700820 199201 1 002",  # 002:1346
        columns=["Staf Subbag perencanaan", "Kasubag Perencanaan", "Sekretaris", "Kasi", "Camat"],  # 002:1357
        numbers=["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        kolom=[None] * 9,  # 002:1358-1369: every executor cell is blank
        # 002:1358-1364, 002:1368-1369
        waktu=["2 hari", "15 menit", "1 hari", "3 hari", "1 hari", "2 hari", "15 menit", "15 menit", "10 menit"],
        # 002:1358-1369, each printed after a "• " bullet
        output=[
            "Draft format data kinerja",
            "Format data kinerja",
            "Format data kinerja di meja Kasi",
            "Format Data kinerja sudah diisi",
            "Data kinerja yang sudah terverifikasi",
            "Print out data kinerja",
            "Print out data kinerja yang sudah di paraf",
            "Print out data kinerja yang sudah di paraf",
            "Print out data kinerja yang sudah ditandatangani",
        ],
        sources=[1358, 1359, 1360, 1361, 1362, 1363, 1364, 1368, 1369],  # 1365-1367 are a page break
    ),
    # S4: Kutorejo "Pengukuran Data Kinerja"
    "pengukuran-data-kinerja": Seed(
        lines="002:1372-1401",
        steps=11,
        nomor="065/ 520 /416-307/2023",  # 002:1372
        nama="PENGUKURAN DATA KINERJA",  # 002:1377
        unit="SUB BAGIAN PENYUSUNAN PROGRAM DAN KEUANGAN",  # 002:1377
        tanggal_pembuatan="14 September 2023",  # 002:1373
        tanggal_revisi="-",  # 002:1374
        tanggal_efektif="14 September 2023",  # 002:1375
        disahkan_oleh=" Camat Kutorejo NURYADI, SH., MM Pembina Tk. I NIP. 19700820 199201 1 002",  # 002:1376
        columns=["Camat", "Sekretaris Camat", "Tim SAKIP", "Seluruh ASN Internal"],  # 002:1389
        numbers=["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8.", "9.", "10.", "11."],
        kolom=[
            "Camat",  # 002:1390
            "Sekretaris Camat",  # 002:1391
            "Tim SAKIP",  # 002:1392
            "Tim SAKIP",  # 002:1393
            "Sekretaris Camat",  # 002:1394: the "5" sits under Sekretaris Camat, the text names the ASN
            "Tim SAKIP",  # 002:1395
            None,  # 002:1397-1401: blank
            None,
            None,
            None,
            None,
        ],
        waktu=[
            "5 Menit",  # 002:1390
            "60 Menit",  # 002:1391
            "120 Menit",  # 002:1392
            "1 Hari",  # 002:1393
            "1 Hari",  # 002:1394
            "1 Hari",  # 002:1395
            "120 menit",  # 002:1397
            "60 Menit",  # 002:1398
            "120 menit",  # 002:1399
            "30 Menit",  # 002:1400
            None,  # 002:1401: blank
        ],
        output=[
            "Nota Dinas",  # 002:1390
            "Notulen Rapat",  # 002:1391
            "Notulen Rapat",  # 002:1392
            "Kertas Kerja Pengukuran Data Kinerja",  # 002:1393
            "Kertas Kerja Pengukuran Data Kinerja",  # 002:1394
            "Kertas Kerja Pengukuran Data Kinerja",  # 002:1395
            "Kertas Kerja Pengukuran Data Kinerja",  # 002:1397
            "Draft Laporan Hasil Pengumpulan Data Kinerja",  # 002:1398
            "Laporan Hasil Pengumpulan Data Kinerja",  # 002:1399
            "Laporan Hasil Pengumpulan Data Kinerja",  # 002:1400
            None,  # 002:1401: blank
        ],
        sources=[1390, 1391, 1392, 1393, 1394, 1395, 1397, 1398, 1399, 1400, 1401],  # 1396 is blank
    ),
    # S1: Jetis "Pengukuran Data Kinerja", in substance a Pengumpulan SOP
    "pengumpulan-data-kinerja-jetis": Seed(
        lines="000:1047-1075",
        steps=12,
        nomor="065 / / 416-316 / 2022",  # 000:1047
        nama="Pengukuran Data Kinerja",  # 000:1052
        unit="SUB BAGIAN PENYUSUNAN PROGRAM DAN KEUANGAN",  # 000:1052
        tanggal_pembuatan="20 Januari 2022",  # 000:1048
        tanggal_revisi="-",  # 000:1049
        tanggal_efektif="20 2022",  # 000:1050, month missing in the seed
        disahkan_oleh=(  # 000:1051
            '<p style="text-align: center;">CAMAT JETIS</p>  <p style="text-align: center;">'
            "MADYA ANDRIYANTO, S.Sos, MM Pembina TK I NIP. 196608031988091002</p>"
        ),
        columns=["Camat", "Sekretaris Camat", "Tim SAKIP", "Seluruh ASN Internal"],  # 000:1062
        numbers=["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
        kolom=[
            "Camat",  # 000:1063
            "Sekretaris Camat",  # 000:1064
            "Tim SAKIP",  # 000:1065
            "Tim SAKIP",  # 000:1066
            "Tim SAKIP",  # 000:1067
            "Seluruh ASN Internal",  # 000:1068
            "Tim SAKIP",  # 000:1070: the "7" sits under Tim SAKIP, the text names the ASN
            "Tim SAKIP",  # 000:1071
            "Tim SAKIP",  # 000:1072
            "Tim SAKIP",  # 000:1073: "1" under Tim SAKIP, "TIDAK" under Seluruh ASN Internal
            "Camat",  # 000:1074
            None,  # 000:1075: the "12" sits in the Ket column
        ],
        waktu=[
            "5 menit",  # 000:1063
            "60 menit",  # 000:1064
            "120 menit",  # 000:1065
            "1 hari",  # 000:1066
            "1 hari",  # 000:1067
            "5 menit",  # 000:1068
            "1 hari",  # 000:1070
            "120 menit",  # 000:1071
            "60 menit",  # 000:1072
            "120 menit",  # 000:1073
            "30 menit",  # 000:1074
            None,  # 000:1075: blank
        ],
        output=[
            "Nota Dinas",  # 000:1063
            "Notulen Rapat",  # 000:1064
            "Notulen rapat",  # 000:1065
            "Checklist Dokumen",  # 000:1066
            "Checklist Dokumen",  # 000:1067
            "Checklist Dokumen",  # 000:1068
            "Dokumen Data Kinerja",  # 000:1070
            "Rekapitulasi hasil pengumpulan data kinerja",  # 000:1071
            "Laporan Hasil Pengukuran Data Kinerja",  # 000:1072
            "Laporan Hasil Pengukuran Data Kinerja",  # 000:1073
            "Laporan Kinerja Bagian",  # 000:1074
            None,  # 000:1075: blank
        ],
        sources=[1063, 1064, 1065, 1066, 1067, 1068, 1070, 1071, 1072, 1073, 1074, 1075],  # 1069 is blank
    ),
    # S2: "Penyusunan LKjIP", Dawarblandong letterhead, used by Jetis
    "penyusunan-lkjip": Seed(
        lines="000:1077-1102",
        steps=8,
        nomor="065/ /416-308/2018",  # 000:1077
        nama="PENYUSUNAN LAPORAN KINERJA INSTANSI PEMERINTAH (LKJIP)",  # 000:1082
        unit="SUB BAGIAN PENYUSUNAN PROGRAM DAN KEUANGAN",  # 000:1082
        tanggal_pembuatan="25 APRIL 2018",  # 000:1078
        tanggal_revisi=None,  # 000:1079 blank
        tanggal_efektif="25 APRIL 2018",  # 000:1080
        disahkan_oleh="CAMAT JETIS <u>MADYA ANDRIYANTO,S.Sos,MM</u> NIP. 198102072005011006",  # 000:1081
        columns=[  # 000:1094
            "Kasubag Penyusunan Program dan Keuangan",
            "Sekcam",
            "Camat",
            "Tim",
            "Pengadministrasi program dan perencanaan",
        ],
        numbers=["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."],
        kolom=[
            "Pengadministrasi program dan perencanaan",  # 000:1095
            "Sekcam",  # 000:1096
            "Sekcam",  # 000:1097
            "Kasubag Penyusunan Program dan Keuangan",  # 000:1098
            "Tim",  # 000:1099
            "Kasubag Penyusunan Program dan Keuangan",  # 000:1100
            "Camat",  # 000:1101
            "Pengadministrasi program dan perencanaan",  # 000:1102 (marked "1", not "8")
        ],
        waktu=[
            "15 menit",  # 000:1095
            "30 menit",  # 000:1096
            "15 menit",  # 000:1097
            "1 Minggu",  # 000:1098
            "1 hari",  # 000:1099
            "2 Minggu",  # 000:1100
            "30 menit",  # 000:1101
            "1 hari",  # 000:1102
        ],
        output=[
            "Surat dicatat pada agenda surat",  # 000:1095
            "Disposisi surat dari pimpinan",  # 000:1096
            "Disposisi surat",  # 000:1097
            "Data LKjIP",  # 000:1098
            "Data LKjIP",  # 000:1099
            "Draft awal LKjIP",  # 000:1100
            "Draft LKjIP disetujui menjadi dokumen",  # 000:1101
            "Dokumen LKjIP yang terkirim",  # 000:1102
        ],
        sources=[1095, 1096, 1097, 1098, 1099, 1100, 1101, 1102],
    ),
}

KEYS = sorted(SEEDS)
# Every SOP version in sop_definitions/: S4 at version 1, at version 2 (step 10 signed by the
# Camat) and at version 3 (steps 6-8 record that they run again after a per-row return), the others
# at version 1. Every S4 version serves instances, so each is checked against the seed.
VERSIONS = [
    (S4, 1),
    (S4, 2),
    (S4, 3),
    ("pengumpulan-data-kinerja", 1),
    ("pengumpulan-data-kinerja-jetis", 1),
    ("penyusunan-lkjip", 1),
]


def parse_lines(source: str) -> tuple[str, int, int]:
    """Split `002:1372-1401` (or `002:1390`) into seed, first line, last line."""
    match = re.fullmatch(r"(\d{3}):(\d+)(?:-(\d+))?", source)
    assert match, source
    first = int(match.group(2))
    last = int(match.group(3)) if match.group(3) else first
    return match.group(1), first, last


def words(cell: str) -> str:
    """The words of a cell, without markup, commas or spacing differences."""
    return " ".join(re.sub(r"<[^>]*>", " ", cell).replace(",", " ").split())


@pytest.fixture(scope="module")
def registry() -> SopRegistry:
    return SopRegistry.from_directory(SOP_DIR)


@pytest.fixture(params=VERSIONS, ids=lambda kv: f"{kv[0]}.v{kv[1]}")
def sop(request: pytest.FixtureRequest, registry: SopRegistry) -> tuple[SopSpec, Seed]:
    key, version = request.param
    return registry.get(key, version), SEEDS[key]


def test_registry_holds_the_four_seed_sops_with_s4_at_versions_1_2_and_3(registry: SopRegistry) -> None:
    assert [(spec.key, spec.version) for spec in registry.all()] == VERSIONS
    assert sorted({spec.key for spec in registry.all()}) == KEYS
    # The newest version of each: S4 at 3, the others at 1.
    assert [(spec.key, spec.version) for spec in registry.latest()] == [
        (S4, 3),
        ("pengumpulan-data-kinerja", 1),
        ("pengumpulan-data-kinerja-jetis", 1),
        ("penyusunan-lkjip", 1),
    ]
    assert registry.get(S4) is registry.get(S4, 3)


def test_s4_version_2_differs_from_version_1_only_in_step_10(registry: SopRegistry) -> None:
    v1, v2 = registry.get(S4, 1), registry.get(S4, 2)
    ids = [
        "nota_dinas",
        "rapat_arahan",
        "rencana_kegiatan",
        "metodologi",
        "pengukuran_asn",
        "evaluasi",
        "rekap",
        "lapor_rekap",
        "reviu_sekcam",
        "lapor_camat",
        "arsip",
    ]

    assert [step.id for step in v1.steps] == ids
    assert [step.id for step in v2.steps] == ids
    assert (v1.periode, v1.header, v1.roles) == (v2.periode, v2.header, v2.roles)
    assert v1.digest != v2.digest
    # Every step but the tenth is the same in both versions.
    assert [pair for pair in zip(v1.steps, v2.steps, strict=True) if pair[0] != pair[1]] == [(v1.steps[9], v2.steps[9])]
    old, new = v1.steps[9], v2.steps[9]
    # 002:1400: v1 leaves the report to the Sekretaris Camat as a task; v2 has the Camat sign it.
    assert (old.no, old.pelaksana, old.kind, old.actions) == ("10.", "sekcam", StepKind.TASK, ("done",))
    assert (new.no, new.pelaksana, new.kind, new.actions) == ("10.", "camat", StepKind.SIGN, ("sign",))
    # Apart from the executor, the kind and the resolution explaining the change, step 10 is unchanged.
    assert new.resolution and old.resolution and new.resolution != old.resolution
    assert dataclasses.replace(new, pelaksana="sekcam", kind=StepKind.TASK, resolution=old.resolution) == old


def test_s4_version_3_differs_from_version_2_only_in_the_resolutions_of_steps_6_to_8(registry: SopRegistry) -> None:
    v2, v3 = registry.get(S4, 2), registry.get(S4, 3)

    assert (v2.periode, v2.header, v2.roles) == (v3.periode, v3.header, v3.roles)
    assert v2.digest != v3.digest
    changed = [(a.no, a.id) for a, b in zip(v2.steps, v3.steps, strict=True) if a != b]
    assert changed == [("6.", "evaluasi"), ("7.", "rekap"), ("8.", "lapor_rekap")]
    for old, new in zip(v2.steps[5:8], v3.steps[5:8], strict=True):
        # Only the resolution changed: it keeps what v2 said and records the choice made for a return.
        assert dataclasses.replace(new, resolution=old.resolution) == old
        assert new.resolution and (old.resolution or "") in new.resolution
        assert "run again" in new.resolution and "changed since the reviewed draft" in new.resolution


def test_each_sop_has_as_many_steps_as_its_seed_table(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop

    assert len(spec.steps) == seed.steps
    assert [step.no for step in spec.steps] == seed.numbers


def test_step_waktu_is_printed_exactly_as_in_the_seed_in_step_order(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop

    assert [step.waktu.printed if step.waktu else None for step in spec.steps] == seed.waktu


def test_step_outputs_are_printed_as_in_the_seed(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop

    assert [step.output for step in spec.steps] == seed.output


def test_executor_columns_are_the_seed_headings_in_order(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop

    assert [role.column for role in spec.roles] == seed.columns


def test_each_step_records_the_executor_column_the_seed_marks(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop

    assert [step.kolom for step in spec.steps] == seed.kolom


def test_every_step_whose_column_is_blank_or_differs_from_its_pelaksana_has_a_resolution(
    sop: tuple[SopSpec, Seed],
) -> None:
    spec, _ = sop
    column_of = {role.role: role.column for role in spec.roles}
    needing = [step for step in spec.steps if step.kolom is None or step.kolom != column_of[step.pelaksana]]

    for step in needing:
        assert step.resolution, f"{spec.key} step {step.no} ({step.id}) needs a resolution"


def test_the_rule_for_resolutions_covers_the_steps_the_seed_leaves_unclear(registry: SopRegistry) -> None:
    # S4 steps 5 and 7-11 (002:1394, 002:1397-1401), S1 steps 7, 10, 11, 12 (000:1070, 000:1073-1075),
    # every S3 step (002:1358-1369): the column is blank or is not the actor's.
    def unclear(key: str, version: int | None = None) -> list[str]:
        spec = registry.get(key, version)
        column_of = {role.role: role.column for role in spec.roles}
        return [s.no for s in spec.steps if s.kolom is None or s.kolom != column_of[s.pelaksana]]

    assert unclear("pengukuran-data-kinerja", 1) == ["5.", "7.", "8.", "9.", "10.", "11."]
    assert unclear("pengukuran-data-kinerja", 2) == ["5.", "7.", "8.", "9.", "10.", "11."]
    assert unclear("pengukuran-data-kinerja", 3) == ["5.", "7.", "8.", "9.", "10.", "11."]
    assert unclear("pengumpulan-data-kinerja-jetis") == ["6", "7", "10", "11", "12"]
    assert unclear("pengumpulan-data-kinerja") == [str(n) for n in range(1, 10)]
    assert unclear("penyusunan-lkjip") == []


def test_every_step_source_lies_within_its_sop_seed_range(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop
    seed_file, first, last = parse_lines(seed.lines)

    header_file, header_first, header_last = parse_lines(spec.header.source)
    assert header_file == seed_file
    assert first <= header_first <= header_last <= last
    for step in spec.steps:
        step_file, step_first, step_last = parse_lines(step.source)
        assert step_file == seed_file, step.id
        assert first <= step_first <= step_last <= last, step.id


def test_every_step_source_is_the_seed_line_of_that_step(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop
    seed_file, _, _ = parse_lines(seed.lines)

    assert [step.source for step in spec.steps] == [f"{seed_file}:{line}" for line in seed.sources]


def test_header_fields_match_the_seed_text(sop: tuple[SopSpec, Seed]) -> None:
    spec, seed = sop
    header = spec.header

    assert header.nomor == seed.nomor
    assert header.nama == seed.nama
    assert header.unit == seed.unit
    assert header.tanggal_pembuatan == seed.tanggal_pembuatan
    assert header.tanggal_revisi == seed.tanggal_revisi
    assert header.tanggal_efektif == seed.tanggal_efektif
    # The seed cell carries HTML and line-break residue; the words and their order must match.
    assert words(header.disahkan_oleh) == words(seed.disahkan_oleh)


def test_review_steps_and_their_return_targets(registry: SopRegistry) -> None:
    def reviews(key: str) -> dict[str, str | None]:
        return {s.id: s.return_to for s in registry.get(key).steps if s.kind is StepKind.REVIEW}

    # 002:1399 "dikembalikan ke tim": back to the Tim SAKIP's rekap (step 7)
    assert reviews("pengukuran-data-kinerja") == {"reviu_sekcam": "rekap"}
    # 002:1359 "bila salah dikembalikan ke staf": back to the draft (step 1)
    assert reviews("pengumpulan-data-kinerja") == {"koreksi_format": "draft_format"}
    # 000:1073 "TIDAK" under Seluruh ASN Internal: back to the ASN's data (step 7)
    assert reviews("pengumpulan-data-kinerja-jetis") == {"analisa": "isi_data_asn"}
    # 000:1077-1102 has no decision step
    assert reviews("penyusunan-lkjip") == {}


def test_review_steps_return_to_an_earlier_step(registry: SopRegistry) -> None:
    for spec in registry.all():
        ids = [s.id for s in spec.steps]
        for step in spec.steps:
            if step.kind is StepKind.REVIEW:
                assert step.return_to is not None
                assert ids.index(step.return_to) < ids.index(step.id)
                assert step.actions == ("approve", "return")
            else:
                assert step.return_to is None


def test_fan_out_steps_and_their_roles(registry: SopRegistry) -> None:
    def fanouts(key: str) -> dict[str, str]:
        return {s.id: s.pelaksana for s in registry.get(key).steps if s.kind is StepKind.FANOUT}

    # 002:1394 "Seluruh ASN Internal melakukan pengukuran"
    assert fanouts("pengukuran-data-kinerja") == {"pengukuran_asn": "asn"}
    # 002:1361 "Menerima dan mengisi data kinerja", each Kasi after 002:1360 "ke Kasi"
    assert fanouts("pengumpulan-data-kinerja") == {"isi_data_kasi": "kasi"}
    # 000:1070 "Seluruh ASN Internal mencukupi data kinerja"
    assert fanouts("pengumpulan-data-kinerja-jetis") == {"isi_data_asn": "asn"}
    assert fanouts("penyusunan-lkjip") == {}


def test_paraf_and_sign_steps(registry: SopRegistry) -> None:
    def signing(key: str, version: int | None = None) -> dict[str, StepKind]:
        steps = registry.get(key, version).steps
        return {s.no: s.kind for s in steps if s.kind in (StepKind.PARAF, StepKind.SIGN)}

    # 002:1364 "Validasi dan paraf", 002:1368 "Paraf data kinerja", 002:1369 "Menandatangani"
    assert signing("pengumpulan-data-kinerja") == {"7": StepKind.PARAF, "8": StepKind.PARAF, "9": StepKind.SIGN}
    # 000:1101 "untuk dimintakan tanda tangan"
    assert signing("penyusunan-lkjip") == {"7.": StepKind.SIGN}
    # 002:1400 "melaporkan ... kepada Camat": v1 has no signature; from v2 the Camat signs the report
    assert signing("pengukuran-data-kinerja", 1) == {}
    assert signing("pengukuran-data-kinerja", 2) == {"10.": StepKind.SIGN}
    assert signing("pengukuran-data-kinerja", 3) == {"10.": StepKind.SIGN}
    assert registry.get("pengukuran-data-kinerja", 2).steps[9].pelaksana == "camat"
    assert signing("pengumpulan-data-kinerja-jetis") == {}


def test_paraf_chain_runs_kasubag_then_sekretaris_then_camat(registry: SopRegistry) -> None:
    spec = registry.get("pengumpulan-data-kinerja")

    assert [(s.no, s.pelaksana, s.actions) for s in spec.steps[6:]] == [
        ("7", "kasubag_ppk", ("paraf",)),
        ("8", "sekcam", ("paraf",)),
        ("9", "camat", ("sign",)),
    ]


def test_pengarsipan_steps_are_archive_steps_without_a_time_standard(registry: SopRegistry) -> None:
    # 002:1401 and 000:1075: "Pengarsipan Data Kinerja" with blank waktu and output
    for key in ("pengukuran-data-kinerja", "pengumpulan-data-kinerja-jetis"):
        last = registry.get(key).steps[-1]
        assert (last.id, last.kind, last.waktu, last.output) == ("arsip", StepKind.ARCHIVE, None, None)
        assert last.actions == ("archive",)


def test_lkjip_runs_per_year_and_the_others_per_triwulan(registry: SopRegistry) -> None:
    assert {spec.key: spec.periode for spec in registry.all()} == {
        "pengukuran-data-kinerja": "triwulan",
        "pengumpulan-data-kinerja": "triwulan",
        "pengumpulan-data-kinerja-jetis": "triwulan",
        "penyusunan-lkjip": "tahunan",
    }
    registry.get("penyusunan-lkjip").check_period("2023")
    registry.get("pengukuran-data-kinerja").check_period("2024-TW3")
    with pytest.raises(ValueError, match="per year"):
        registry.get("penyusunan-lkjip").check_period("2023-TW1")
    with pytest.raises(ValueError, match="per triwulan"):
        registry.get("pengukuran-data-kinerja").check_period("2024")


def test_specs_are_immutable(registry: SopRegistry) -> None:
    spec = registry.get("pengukuran-data-kinerja")  # the latest, version 3

    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.version = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.steps[9].pelaksana = "sekcam"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.header.nomor = "065/ 1 /416-307/2024"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.steps[0].waktu = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.steps[8].return_to = "nota_dinas"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.roles[0].role = "sekcam"  # type: ignore[misc]
    assert isinstance(spec.steps, tuple)
    assert isinstance(spec.roles, tuple)
    assert isinstance(spec.header.dasar_hukum, tuple)
    assert isinstance(spec.steps[3].kelengkapan, tuple)
    assert spec.version == 3
    assert spec.steps[8].return_to == "rekap"
    assert (spec.steps[9].pelaksana, spec.steps[9].kind) == ("camat", StepKind.SIGN)
    assert registry.get("pengukuran-data-kinerja") is spec


def test_loading_the_same_files_twice_gives_equal_specs_with_a_stable_digest(registry: SopRegistry) -> None:
    again = SopRegistry.from_directory(SOP_DIR)

    assert again.all() == registry.all()
    for spec in registry.all():
        assert re.fullmatch(r"[0-9a-f]{64}", spec.digest)
    # One distinct digest per file: S4 v1, v2 and v3 included.
    assert len({spec.digest for spec in registry.all()}) == len(VERSIONS)
