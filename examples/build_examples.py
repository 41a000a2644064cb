"""Build the importable example workbooks in this folder (run: .venv/bin/python examples/build_examples.py).

- `kutorejo-2024.xlsx`: Kecamatan Kutorejo's 2024 plan tree, indicators, PK (002:440-449),
  PK Perubahan (002:461-470) and a Rencana Aksi with quarterly targets for the Renja outputs
  (002:400-432). The quarterly split of the Rencana Aksi is ours (the seed prints none for
  Kutorejo); it follows the shape of Jombang's Rencana Aksi (003:1032-1063).
- `jombang-2023-rencana-aksi.xlsx`: Jombang's SKM Aparatur with its cumulative quarterly
  targets 23/46/69/95 (003:1036-1039), the fixture F16.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

NODES = [
    # Tingkat, Kode, Nama, Induk
    ("Tujuan", "T1", "Meningkatnya Kualitas Pelayanan Publik", None),  # 002:1297-1298
    ("Sasaran", "S1", "Terwujudnya Pelayanan Publik yang Optimal", "T1"),  # 002:440
    ("Kinerja Lainnya", "KL1", "Terselenggaranya pelayanan PATEN sesuai standar pelayanan", None),  # 002:463
    ("Kinerja Lainnya", "KL2", "Terselenggaranya fasilitasi dan koordinasi pemerintahan", None),  # 002:464
    (
        "Kinerja Lainnya",
        "KL3",
        "Meningkatnya Tata Kelola Birokrasi Pemerintah yang Efektif, Efisien dan Akuntabel",
        None,
    ),
    (
        "Kinerja Lainnya",
        "KL4",
        "Optimalisasi Kualitas Pelayanan melalui Pembangunan Inovasi yang Mempunyai Nilai Tambah",
        None,
    ),
    ("Program", "7.01.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA", "KL3"),  # 002:400
    ("Kegiatan", "7.01.01.2.01", "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah", "7.01.01"),
    ("Sub Kegiatan", "7.01.01.2.01.07", "Evaluasi Kinerja Perangkat Daerah", "7.01.01.2.01"),
    ("Kegiatan", "7.01.01.2.02", "Administrasi Keuangan Perangkat Daerah", "7.01.01"),
    ("Sub Kegiatan", "7.01.01.2.02.01", "Penyediaan Gaji dan Tunjangan ASN", "7.01.01.2.02"),
    ("Program", "7.01.02", "PROGRAM PENYELENGGARAAN PEMERINTAHAN DAN PELAYANAN PUBLIK", "KL1"),  # 002:423
    ("Kegiatan", "7.01.02.2.04", "Pelaksanaan Urusan Pemerintahan yang Dilimpahkan kepada Camat", "7.01.02"),
    (
        "Sub Kegiatan",
        "7.01.02.2.04.02",
        "Pelaksanaan Urusan Pemerintahan yang terkait dengan Nonperizinan",
        "7.01.02.2.04",
    ),
    ("Program", "7.01.06", "PROGRAM PEMBINAAN DAN PENGAWASAN PEMERINTAHAN DESA", "KL2"),  # 002:426
    (
        "Kegiatan",
        "7.01.06.2.01",
        "Fasilitasi, Rekomendasi dan Koordinasi Pembinaan dan Pengawasan Pemerintahan Desa",
        "7.01.06",
    ),
    ("Sub Kegiatan", "7.01.06.2.01.02", "Fasilitasi Administrasi Tata Pemerintahan Desa", "7.01.06.2.01"),
    (
        "Sub Kegiatan",
        "7.01.06.2.01.09",
        "Fasilitasi Sinkronisasi Perencanaan Pembangunan Daerah dengan Pembangunan Desa",
        "7.01.06.2.01",
    ),
    ("Sub Kegiatan", "7.01.06.2.01.11", "Fasilitasi Penyelenggaraan Ketenteraman dan Ketertiban Umum", "7.01.06.2.01"),
    (
        "Sub Kegiatan",
        "7.01.06.2.01.12",
        "Fasilitasi Pelaksanaan Tugas, Fungsi, dan Kewajiban Lembaga Kemasyarakatan",
        "7.01.06.2.01",
    ),
]

INDICATOR_HEADER = [
    "Kode",
    "Indikator",
    "Induk",
    "Satuan",
    "Jenis",
    "Arah",
    "Agregasi",
    "Skala",
    "Sumber Eksternal",
    "Penanggung Jawab",
    "Sumber Data",
    "Formulasi",
    "Min",
    "Maks",
    "Penyerapan Anggaran",
]
INDICATORS = [
    ("IKU-1", "IKM Kecamatan", "S1", "Indeks", "angka", "positif", "terakhir", "ikm", "SUKMA-e", "tim_sakip",
     "Laporan Hasil Sukma E", "Survei Kepuasan Masyarakat (002:1324)", 25, 100, "tidak"),
    ("KL-1", "Persentase pelayanan yang terlayani sesuai standar pelayanan", "KL1", "%", "rasio", "positif", "jumlah",
     None, None, "kasi.pelayanan", "Laporan Hasil Pelayanan",
     "(Jumlah Pelayanan Yang Terlayani Sesuai Standar Pelayanan / Jumlah Pelayanan Yang Terlayani) x 100% (002:1328)",
     0, 100, "tidak"),
    ("KL-2", "Persentase hasil koordinasi yang ditindaklanjuti", "KL2", "%", "rasio", "positif", "jumlah", None, None,
     "kasi.pemerintahan", "Dokumen Hasil Koordinasi",
     "(Jumlah Dokumen Hasil Koordinasi Yang Ditindaklanjuti / Jumlah Dokumen Hasil Koordinasi) x 100% (002:1329)",
     0, 100, "tidak"),
    ("KL-3.1", "Nilai SAKIP Kecamatan", "KL3", "Nilai", "angka", "positif", "terakhir", "sakip", "Inspektorat",
     "tim_sakip", "Laporan Hasil Evaluasi Inspektorat", "Laporan Hasil Evaluasi SAKIP (002:1330)", 0, 100, "tidak"),
    ("KL-3.2", "Persentase Realisasi Anggaran Perangkat Daerah", "KL3", "%", "rasio", "positif", "kumulatif",
     None, None, "kasubag_ppk", "Laporan Realisasi Anggaran", "(Realisasi Anggaran / Pagu Anggaran) x 100% (002:960)",
     0, 100, "ya"),
    ("KL-3.3", "Indeks Profesionalitas ASN", "KL3", "Indeks", "angka", "positif", "terakhir", "ip-asn", "BKPSDM",
     "tim_sakip", "BKPSDM / ip-jasn.bkn.go.id", "IP ASN Kecamatan (002:961)", 0, 100, "tidak"),
    ("KL-4", "Jumlah Inovasi yang terinternalisasi dan tersosialisasi serta berkelanjutan", "KL4", "Inovasi", "angka",
     "positif", "kumulatif", None, None, "kasubag_ppk", "Dokumen inovasi", None, 0, None, "tidak"),
    ("7.01.01.2.01.07", "Jumlah Laporan evaluasi Kinerja Perangkat Daerah", "7.01.01.2.01.07", "Laporan", "angka",
     "positif", "jumlah", None, None, "kasubag_ppk", "Arsip laporan", None, 0, None, "tidak"),
    ("7.01.01.2.02.01", "Jumlah orang yang menerima gaji dan tunjangan ASN", "7.01.01.2.02.01", "Orang", "angka",
     "positif", "terakhir", None, None, "kasubag_ppk", "Daftar gaji", None, 0, None, "tidak"),
    ("7.01.02.2.04", "Jumlah Perijinan dan Non Perijinan yang terlayani sesuai Standar Pelayanan", "7.01.02.2.04",
     "Pelayanan", "angka", "positif", "jumlah", None, None, "kasi.pelayanan", "Register PATEN", None, 0, None, "tidak"),
    ("7.01.02.2.04.02", "Jumlah Laporan Pelaksanaan Non Perizinan pada urusan Pemerintahan", "7.01.02.2.04.02",
     "Laporan", "angka", "positif", "jumlah", None, None, "kasi.pelayanan", "Arsip laporan", None, 0, None, "tidak"),
    ("7.01.06.2.01.02", "Jumlah Dokumen yang difasilitasi dalam rangka Administrasi Tata Pemerintahan Desa",
     "7.01.06.2.01.02", "Dokumen", "angka", "positif", "jumlah", None, None, "kasi.pemerintahan", "Arsip dokumen",
     None, 0, None, "tidak"),
    ("7.01.06.2.01.09", "Jumlah Dokumen Sinkronisasi Perencanaan Pembangunan Daerah dengan Pembangunan Desa",
     "7.01.06.2.01.09", "Dokumen", "angka", "positif", "jumlah", None, None, "kasi.pembangunan", "Arsip dokumen",
     None, 0, None, "tidak"),
    ("7.01.06.2.01.11", "Jumlah Dokumen Fasilitasi dalam rangka Penyelenggaraan Ketenteraman dan Ketertiban Umum",
     "7.01.06.2.01.11", "Dokumen", "angka", "positif", "jumlah", None, None, "kasi.trantib", "Arsip dokumen",
     None, 0, None, "tidak"),
    ("7.01.06.2.01.12", "Jumlah Dokumen Fasilitasi Dalam Rangka Pelaksanaan Tugas, Fungsi, dan Kewajiban Lembaga "
     "Kemasyarakatan", "7.01.06.2.01.12", "Dokumen", "angka", "positif", "jumlah", None, None, "kasi.kemasyarakatan",
     "Arsip dokumen", None, 0, None, "tidak"),
]  # fmt: skip

# PK 2024 (002:440-449) and PK Perubahan 2024 (002:461-470), as printed.
PK = [
    ("IKU-1", "IKM Kecamatan", "90,36"),
    ("KL-1", "Persentase pelayanan yang terlayani sesuai standart pelayanan", "100%"),
    ("KL-2", "Persentase hasil koordinasi yang ditindaklanjuti", "100%"),
    ("KL-3.1", "Nilai SAKIP Kecamatan", "81"),
    ("KL-3.2", "Persentase Realisasi Anggaran Perangkat Daerah", "97,86%"),
    ("KL-3.3", "Indeks Profesionalitas ASN", "82 (Tinggi)"),
    ("KL-4", "Jumlah Inovasi yang terinternalisasi dan tersosialisasi serta berkelanjutan", "3 Inovasi"),
]
PK_PERUBAHAN = [(code, name, {"KL-3.1": "82", "KL-3.3": "84 (Tinggi)"}.get(code, target)) for code, name, target in PK]
# Rencana Aksi 2024: the Renja outputs (002:400-432) split by triwulan (our split), and the % RA
# as a cumulative quarterly plan ending at the PK target.
RENCANA_AKSI = [
    ("KL-3.2", "Persentase Realisasi Anggaran Perangkat Daerah", "97,86", "25", "50", "75", "97,86"),
    ("7.01.01.2.01.07", None, "11", "3", "3", "2", "3"),
    ("7.01.01.2.02.01", None, "20", "20", "20", "20", "20"),
    ("7.01.02.2.04", None, "690", "170", "170", "175", "175"),
    ("7.01.02.2.04.02", None, "18", "4", "5", "4", "5"),
    ("7.01.06.2.01.02", None, "6", "1", "2", "1", "2"),
    ("7.01.06.2.01.09", None, "4", "1", "1", "1", "1"),
    ("7.01.06.2.01.11", None, "5", "1", "1", "2", "1"),
    ("7.01.06.2.01.12", None, "11", "2", "3", "3", "3"),
]


def build_kutorejo(path: Path) -> None:
    book = Workbook()
    tree = book.active
    assert tree is not None
    tree.title = "Pohon Kinerja"
    tree.append(["Pohon kinerja Kecamatan Kutorejo 2024 (002:400-470)"])
    tree.append(["Tingkat", "Kode", "Nama", "Induk"])
    for row in NODES:
        tree.append(list(row))
    sheet = book.create_sheet("Indikator")
    sheet.append(INDICATOR_HEADER)
    for indicator in INDICATORS:
        sheet.append(list(indicator))
    for title, rows in (("PK", PK), ("PK Perubahan", PK_PERUBAHAN)):
        ws = book.create_sheet(title)
        ws.append([f"{'PERUBAHAN ' if title != 'PK' else ''}PERJANJIAN KINERJA TAHUN 2024 KECAMATAN KUTOREJO"])
        ws.append(["Kode", "Indikator", "Target"])
        for row in rows:
            ws.append(list(row))
    plan = book.create_sheet("Rencana Aksi")
    plan.append(["Kode", "Indikator", "Target Tahunan", "TW I", "TW II", "TW III", "TW IV"])
    for row in RENCANA_AKSI:
        plan.append(list(row))
    book.save(path)


def build_jombang(path: Path) -> None:
    book = Workbook()
    tree = book.active
    assert tree is not None
    tree.title = "Pohon Kinerja"
    tree.append(["Tingkat", "Kode", "Nama", "Induk"])
    tree.append(["Sasaran", "S1", "Meningkatnya kualitas pelayanan aparatur", None])
    sheet = book.create_sheet("Indikator")
    sheet.append(INDICATOR_HEADER)
    sheet.append(["SKM-APARATUR", "SKM Aparatur", "S1", "Nilai", "angka", "positif", "kumulatif", None, None,
                  "tim_sakip", "Survei internal", None, 0, 100, "tidak"])  # fmt: skip
    plan = book.create_sheet("Rencana Aksi")
    plan.append(["RENCANA AKSI KINERJA TAHUN 2023 (003:1032-1063)"])
    plan.append(["Kode", "Indikator", "Target Tahunan", "TW I", "TW II", "TW III", "TW IV"])
    plan.append(["SKM-APARATUR", "SKM Aparatur", 95, 23, 46, 69, 95])  # 003:1036-1039
    book.save(path)


if __name__ == "__main__":
    build_kutorejo(HERE / "kutorejo-2024.xlsx")
    build_jombang(HERE / "jombang-2023-rencana-aksi.xlsx")
    print("written:", HERE / "kutorejo-2024.xlsx", HERE / "jombang-2023-rencana-aksi.xlsx")
