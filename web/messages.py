"""Engine messages in the user's language.

The engine speaks English where its message is part of the CLI and API contract (`task 5 is
already done by camat at ...`), and Indonesian where it reports a person's input (number and
realisasi rules). The pages show every message in Bahasa Indonesia, with the field first, unless
the user chose English: each English engine message the UI can show has its Indonesian form
here. A message not listed is shown as it is.
"""

from __future__ import annotations

import re

from flask import session

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^note: a return needs a note saying what to correct$",
         "catatan: pengembalian wajib disertai catatan tentang apa yang harus diperbaiki"),
        (r"^task (\d+) is already (\w+) by (\S+) at (\S+)$", r"tugas \1 sudah \2 oleh \3 pada \4"),
        (r"^task (\d+) is already (\w+) by (\S+)$", r"tugas \1 sudah \2 oleh \3"),
        (r"^task (\d+) is already (\w+)$", r"tugas \1 sudah \2"),
        (r"^task (\d+) was changed by someone else at the same time; reload it$",
         r"tugas \1 diubah orang lain pada saat yang sama; muat ulang halaman"),
        (r"^instance (\d+) has moved on to '(.+)'$", r"siklus \1 sudah berpindah ke langkah \2; muat ulang halaman"),
        (r"^action: '(.+)' is not an action of task (\d+); use one of (.+)$",
         r"tindakan: '\1' bukan tindakan tugas \2; pilih salah satu dari \3"),
        (r"^rows: only a return can point at indicator rows$",
         "baris: hanya pengembalian yang dapat menunjuk baris indikator"),
        (r"^rows: (\S+) needs a note saying what to correct$",
         r"baris \1: wajib disertai catatan tentang apa yang harus diperbaiki"),
        (r"^rows: (\S+) has no realisasi for (\S+) to return$", r"baris \1: belum ada realisasi \2 untuk dikembalikan"),
        (r"^rows: '(.+)' is not an indicator of this unit for (\d+)$",
         r"baris: '\1' bukan indikator unit ini tahun \2"),
        (r"^rows: nobody holding '(.+)' now answers for the returned rows$",
         r"baris: tidak ada pemegang jabatan \1 yang bertanggung jawab atas baris yang dikembalikan"),
        (r"^the document changed since it was shown \(its SHA-256 differs\); reload it and sign again$",
         "dokumen berubah sejak ditampilkan (SHA-256 berbeda); muat ulang dan tanda tangani kembali"),
        (r"^realisasi (\S+) (\S+) was changed by someone else at the same time$",
         r"realisasi \1 \2 diubah orang lain pada saat yang sama; muat ulang halaman"),
        (r"^task (\d+) was finished meanwhile; realisasi can no longer be entered$",
         r"tugas \1 sudah diselesaikan; realisasi tidak dapat diisi lagi"),
        (r"^instance (\d+) is signed or finished; its targets can no longer change$",
         r"siklus \1 sudah ditandatangani atau selesai; targetnya tidak dapat diubah"),
        (r"^task (\d+) was given to someone else meanwhile; reload it$",
         r"tugas \1 baru saja dialihkan kepada orang lain; muat ulang halaman"),
        (r"^note: say why the task is given to someone else$",
         "catatan: tuliskan alasan tugas dialihkan (mutasi, pensiun, cuti …)"),
        (r"^to: '(.+)' does not hold '(.+)' in this unit now$", r"kepada: \1 tidak memegang peran \2 di unit ini"),
        (r"^to: task (\d+) is already given to '(.+)'$", r"kepada: tugas \1 sudah diberikan kepada \2"),
        (r"^task (\d+) is already (\w+); nothing to reassign$", r"tugas \1 sudah \2; tidak ada yang dialihkan"),
        (r"^task: task (\d+) belongs to '(.+)', not to one person; whoever holds it \(or its Plt\.\) can act on it$",
         r"tugas: tugas \1 milik jabatan \2, bukan satu orang; pemegangnya (atau Plt.) dapat mengerjakannya"),
        (r"^Word template (\S+)(?: \(default\))?: a field is broken near line (\d+): (.+)$",
         r"templat Word \1: ada isian yang rusak di sekitar baris \2 (\3)"),
        (r"^Word template (\S+)(?: \(default\))?: not a Word document \(\.docx\): (.+)$",
         r"templat Word \1: bukan dokumen Word (.docx)"),
        (r"^Word template (\S+)(?: \(default\))?: a field cannot be filled: (.+)$",
         r"templat Word \1: ada isian yang tidak dapat diisi (\2)"),
        (r"^Word template (\S+)(?: \(default\))?: a field is not allowed: (.+)$",
         r"templat Word \1: ada isian yang tidak diizinkan (\2)"),
        (r"^note: at most ([\d.]+) characters, ([\d.]+) given$",
         r"catatan: paling banyak \1 karakter (tertulis \2)"),
        (r"^rows (\S+): at most ([\d.]+) characters, ([\d.]+) given$",
         r"catatan baris \1: paling banyak \2 karakter (tertulis \3)"),
        (r"^(\w+): at most ([\d.]+) characters, ([\d.]+) given$", r"\1: paling banyak \2 karakter (tertulis \3)"),
        (r"^note: contains the control character (U\+[0-9A-F]+) at character (\d+)$",
         r"catatan: berisi karakter kendali \1 pada karakter ke-\2"),
        (r"^(\w+): contains the control character (U\+[0-9A-F]+) at character (\d+)$",
         r"\1: berisi karakter kendali \2 pada karakter ke-\3"),
        (r"^period: (.+)$", r"periode: \1"),
        (r"^nota_dinas_pattern of unit (\S+): (.+); fix it in the organisation file$",
         r"pola nomor Nota Dinas unit \1 tidak dapat dipakai (\2); perbaiki di berkas organisasi"),
        (r"^unknown indicator '(.+)' for (\d+) in your unit\(s\)$",
         r"indikator: '\1' tidak dikenal untuk tahun \2 di unit Anda"),
    )
)  # fmt: skip


ACTIONS_ID = {
    "done": "selesai", "approve": "disetujui", "return": "dikembalikan", "paraf": "diparaf",
    "sign": "ditandatangani", "archive": "diarsipkan",
}  # fmt: skip


def action_word(action: str) -> str:
    """An action as the UI says it (`done` -> `selesai`), in the user's language."""
    return action if session.get("lang", "id") == "en" else ACTIONS_ID.get(action, action)


def localise(message: str) -> str:
    """MESSAGE in Indonesian (the UI's language) unless the user chose English."""
    if session.get("lang", "id") == "en":
        return message
    for pattern, replacement in _RULES:
        if pattern.match(message):
            text = pattern.sub(replacement, message)
            return re.sub(r" sudah (\w+)", lambda m: " sudah " + ACTIONS_ID.get(m.group(1), m.group(1)), text)
    return message
