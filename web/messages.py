"""Engine errors in the user's language, translated by their code.

Every `WorkflowError` carries a stable `code` and the `params` its text is made of; its message
(`str(error)`) is the English contract text the CLI prints and the API returns. The pages never read
that text: `localise(error)` looks the code up in `ERRORS`, whose Indonesian text (the UI's source
language) is a msgid of the Babel catalogue, and fills it with the params. A user who chose English
gets the catalogue's English msgstr, which is the contract text again (`ENGLISH` below is that text;
`web/translations/build.py` writes it into `en/LC_MESSAGES/messages.po`). An error whose code has no
entry is shown as its message. Rewording an English message therefore never drops its translation:
the code stays, and `tests/unit/test_error_codes.py` checks that every code raised in `workflow/`
has an entry here whose placeholders the raise sites give.

Params are the raw values (`'%(user)s'` quotes a name where the contract writes `{user!r}`). A
`status` param (`done`, `approve`, `return` ...) is shown in Indonesian (`ACTIONS_ID`) on an
Indonesian page. Messages the engine already writes in Indonesian (a person's input to the
realisasi, a workbook, an upload) have the same text in both languages.
"""

# ruff: noqa: E501  (the table keeps each message on one line, as it is read and grepped)

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, session
from flask_babel import gettext

from workflow.domain.indicators import IndicatorError
from workflow.domain.localtime import waktu_lokal
from workflow.errors import WorkflowError
from workflow.services import instances


def N_(message: str) -> str:
    """Mark MESSAGE for the catalogue (pybabel extracts `N_`); it is translated when it is shown."""
    return message


#: code -> (Indonesian msgid, English contract text), with %(name)s for each param.
_TABLE: dict[str, tuple[str, str]] = {
    # --- acting on a task (workflow/services/engine.py) ---
    "task.finished": (N_("tugas %(task)s sudah %(status)s"), "task %(task)s is already %(status)s"),
    "task.finished_at": (N_("tugas %(task)s sudah %(status)s pada %(at)s"), "task %(task)s is already %(status)s at %(at)s"),
    "task.finished_by": (N_("tugas %(task)s sudah %(status)s oleh %(by)s"), "task %(task)s is already %(status)s by %(by)s"),
    "task.finished_by_at": (N_("tugas %(task)s sudah %(status)s oleh %(by)s pada %(at)s"),
                            "task %(task)s is already %(status)s by %(by)s at %(at)s"),
    "task.changed": (N_("tugas %(task)s diubah orang lain pada saat yang sama; muat ulang halaman"),
                     "task %(task)s was changed by someone else at the same time; reload it"),
    "task.unknown": (N_("tugas %(task)s tidak dikenal"), "unknown task %(task)s"),
    "task.not_holder": (N_("pengguna '%(user)s' tidak memegang jabatan '%(role)s' untuk tugas %(task)s"),
                        "user '%(user)s' does not hold '%(role)s' for task %(task)s"),
    "task.not_entry": (N_("tugas %(task)s bukan tugas pengisian data"), "task %(task)s is not a data-entry task"),
    "instance.moved_on": (N_("siklus %(instance)s sudah berpindah ke langkah %(state)s; muat ulang halaman"),
                          "instance %(instance)s has moved on to '%(state)s'"),
    "instance.unknown": (N_("siklus %(instance)s tidak dikenal"), "unknown instance %(instance)s"),
    "instance.already_started": (N_("%(sop)s untuk %(unit)s %(period)s sudah dimulai"),
                                 "%(sop)s for %(unit)s %(period)s is already started"),
    "instance.already_started_as": (N_("%(sop)s untuk %(unit)s %(period)s sudah dimulai (siklus %(instance)s)"),
                                    "%(sop)s for %(unit)s %(period)s is already started (instance %(instance)s)"),
    "instance.not_readable": (N_("pengguna '%(user)s' tidak boleh membaca siklus %(instance)s"),
                              "user '%(user)s' may not read instance %(instance)s"),
    "action.unknown": (N_("tindakan: '%(action)s' bukan tindakan tugas %(task)s; pilih salah satu dari %(actions)s"),
                       "action: '%(action)s' is not an action of task %(task)s; use one of %(actions)s"),
    "return.needs_note": (N_("catatan: pengembalian wajib disertai catatan tentang apa yang harus diperbaiki, atau centang baris yang dikembalikan beserta catatan barisnya"),
                          "note: a return needs a note saying what to correct"),
    "rows.only_return": (N_("baris: hanya pengembalian yang dapat menunjuk baris indikator"),
                         "rows: only a return can point at indicator rows"),
    "rows.needs_note": (N_("baris %(indicator)s: wajib disertai catatan tentang apa yang harus diperbaiki"),
                        "rows: %(indicator)s needs a note saying what to correct"),
    "rows.note_without_tick": (N_("baris %(indicator)s: catatan baris sudah ditulis tetapi barisnya tidak dicentang; centang „Kembalikan” pada baris itu, atau hapus catatannya"),
                               "rows: %(indicator)s has a note but is not ticked; tick it to return it, or clear its note"),
    "rows.no_realisasi": (N_("baris %(indicator)s: belum ada realisasi %(period)s untuk dikembalikan"),
                          "rows: %(indicator)s has no realisasi for %(period)s to return"),
    "rows.not_indicator": (N_("baris: '%(indicator)s' bukan indikator unit ini tahun %(year)s"),
                           "rows: '%(indicator)s' is not an indicator of this unit for %(year)s"),
    "rows.no_owner": (N_("baris: tidak ada pemegang jabatan %(role)s yang bertanggung jawab atas baris yang dikembalikan"),
                      "rows: nobody holding '%(role)s' now answers for the returned rows"),
    "rows.not_triwulan": (N_("baris: %(period)s bukan triwulan; tidak ada baris realisasi untuk dikembalikan"),
                          "rows: %(period)s is not a triwulan; there are no realisasi rows to return"),
    "rows.no_entry_step": (N_("baris: langkah %(step)s tidak didahului langkah pengisian data; tidak ada baris yang dapat dikembalikan"),
                           "rows: step %(step)s has no data-entry step before it to return rows to"),
    "rows.not_mapping": (N_("rows: harus memetakan kode indikator ke catatan"), "rows: must map indicator codes to notes"),
    "realisasi.incomplete": (N_("realisasi: belum lengkap untuk %(period)s: %(listed)s"),
                             "realisasi: belum lengkap untuk %(period)s: %(listed)s"),
    "document.changed": (N_("dokumen berubah sejak ditampilkan (SHA-256 berbeda); muat ulang dan tanda tangani kembali"),
                         "the document changed since it was shown (its SHA-256 differs); reload it and sign again"),
    "transition.refused": (N_("%(detail)s"), "%(detail)s"),
    # --- reassigning a task ---
    "reassign.needs_note": (N_("catatan: tuliskan alasan tugas dialihkan (mutasi, pensiun, cuti …)"),
                            "note: say why the task is given to someone else"),
    "reassign.not_holder": (N_("kepada: %(to)s tidak memegang peran %(role)s di unit ini"),
                            "to: '%(to)s' does not hold '%(role)s' in this unit now"),
    "reassign.already_given": (N_("kepada: tugas %(task)s sudah diberikan kepada %(to)s"),
                               "to: task %(task)s is already given to '%(to)s'"),
    "reassign.task_finished": (N_("tugas %(task)s sudah %(status)s; tidak ada yang dialihkan"),
                               "task %(task)s is already %(status)s; nothing to reassign"),
    "reassign.not_allowed": (N_("pengguna '%(user)s' tidak boleh mengalihkan tugas unit ini (hanya Camat, Sekcam atau admin)"),
                             "user '%(user)s' may not reassign tasks of this unit (Camat, Sekcam or admin)"),
    "reassign.position_task": (N_("tugas: tugas %(task)s milik jabatan %(role)s, bukan satu orang; pemegangnya (atau Plt.) dapat mengerjakannya"),
                               "task: task %(task)s belongs to '%(role)s', not to one person; whoever holds it (or its Plt.) can act on it"),
    # --- starting a cycle ---
    "start.missing_roles": (N_("unit '%(unit)s' tidak memiliki pemegang peran %(roles)s yang diperlukan %(sop)s"),
                            "unit '%(unit)s' has nobody in role(s) %(roles)s that %(sop)s needs"),
    "start.not_allowed": (N_("pengguna '%(user)s' tidak boleh memulai %(sop)s di %(unit)s: langkah pertamanya milik '%(role)s'"),
                          "user '%(user)s' may not start %(sop)s in %(unit)s: it opens with a '%(role)s' step"),
    "step.nobody_holds": (N_("tidak ada pemegang peran '%(role)s' di unit '%(unit)s' untuk langkah %(step)s"),
                          "nobody holds role '%(role)s' in unit '%(unit)s' for step %(step)s"),
    "period.invalid": (N_("periode: %(detail)s"), "period: %(detail)s"),
    "period.malformed": (N_("periode: %(period)s harus berbentuk TAHUN-TWn, misalnya 2024-TW1"),
                         "period: %(period)s harus berbentuk TAHUN-TWn, misalnya 2024-TW1"),
    "sop.unknown": (N_("SOP '%(sop)s' tidak dikenal"), "unknown SOP '%(sop)s'"),
    "sop.unknown_version": (N_("SOP '%(sop)s' versi %(version)s tidak dikenal"), "unknown SOP '%(sop)s' version %(version)s"),
    "sop.changed_in_place": (N_("%(file)s: %(sop)s versi %(version)s diubah setelah ada siklus yang dimulai darinya; simpan revisinya sebagai versi %(next)s"),
                            "%(file)s: %(sop)s version %(version)s was changed after instances started from it; save the revision as version %(next)s instead"),
    "sop.invalid_definitions": (N_("definisi SOP tidak sah: jalankan `sakip sop validate` (%(detail)s)"),
                                "SOP definitions are invalid: run `sakip sop validate` (%(detail)s)"),
    # --- who is who ---
    "user.unknown": (N_("pengguna '%(user)s' tidak dikenal"), "unknown user '%(user)s'"),
    "unit.unknown": (N_("unit '%(unit)s' tidak dikenal"), "unknown unit '%(unit)s'"),
    "unit.unknown_id": (N_("unit %(unit)s tidak dikenal"), "unknown unit %(unit)s"),
    "row.missing": (N_("data %(table)s %(key)s tidak ditemukan"), "unknown %(table)s %(key)s"),
    "ical.not_tim_sakip": (N_("pengguna '%(user)s' bukan Tim SAKIP %(unit)s: tidak ada kalender unit"),
                           "user '%(user)s' is not in the Tim SAKIP of %(unit)s: no unit feed"),
    # --- texts people type (workflow/domain/limits.py) ---
    "note.too_long": (N_("catatan: paling banyak %(limit)s karakter (tertulis %(given)s)"),
                      "note: at most %(limit)s characters, %(given)s given"),
    "rows.note_too_long": (N_("catatan baris %(indicator)s: paling banyak %(limit)s karakter (tertulis %(given)s)"),
                           "rows %(indicator)s: at most %(limit)s characters, %(given)s given"),
    "text.too_long": (N_("%(field)s: paling banyak %(limit)s karakter (tertulis %(given)s)"),
                      "%(field)s: at most %(limit)s characters, %(given)s given"),
    "note.control_character": (N_("catatan: berisi karakter kendali %(char)s pada karakter ke-%(position)s"),
                               "note: contains the control character %(char)s at character %(position)s"),
    "rows.note_control_character": (N_("catatan baris %(indicator)s: berisi karakter kendali %(char)s pada karakter ke-%(position)s"),
                                    "rows %(indicator)s: contains the control character %(char)s at character %(position)s"),
    "text.control_character": (N_("%(field)s: berisi karakter kendali %(char)s pada karakter ke-%(position)s"),
                               "%(field)s: contains the control character %(char)s at character %(position)s"),
    "value.invalid": (N_("%(detail)s"), "%(detail)s"),
    # --- realisasi and targets (workflow/services/performance.py) ---
    "realisasi.unknown": (N_("realisasi %(realisasi)s tidak dikenal"), "unknown realisasi %(realisasi)s"),
    "realisasi.changed": (N_("realisasi %(indicator)s %(period)s diubah orang lain pada saat yang sama; muat ulang halaman"),
                          "realisasi %(indicator)s %(period)s was changed by someone else at the same time"),
    "realisasi.accepted": (N_("realisasi %(indicator)s %(period)s sudah diterima; hanya dapat diubah setelah dikembalikan"),
                           "realisasi %(indicator)s %(period)s sudah diterima; hanya dapat diubah setelah dikembalikan"),
    "realisasi.needs_reason": (N_("catatan: capaian %(indicator)s %(capaian)s%% di bawah target; tuliskan hambatan dan rencana tindak lanjutnya"),
                               "catatan: capaian %(indicator)s %(capaian)s%% di bawah target; tuliskan hambatan dan rencana tindak lanjutnya"),
    "realisasi.needs_explanation": (N_("catatan: capaian %(indicator)s s.d. TW %(quarter)s %(capaian)s%% di atas batas %(ceiling)s%%; periksa kembali nilainya, atau tuliskan penjelasan mengapa target terlampaui"),
                                    "note: capaian %(indicator)s to TW %(quarter)s is %(capaian)s%%, above the %(ceiling)s%% ceiling; check the value, or explain why the target was exceeded"),
    "source_period.invalid": (N_("source_period: %(value)s harus berbentuk TAHUN atau TAHUN-TWn (misalnya 2023)"),
                              "source_period: %(value)s harus berbentuk TAHUN atau TAHUN-TWn (misalnya 2023)"),
    "indicator.unknown": (N_("indikator: '%(indicator)s' tidak dikenal untuk tahun %(year)s di unit Anda"),
                          "unknown indicator '%(indicator)s' for %(year)s in your unit(s)"),
    "indicator.ambiguous": (N_("unit: %(indicator)s ada di beberapa unit Anda; sebutkan salah satunya"),
                            "unit: %(indicator)s exists in several of your units; name one with --unit"),
    "entry.no_open_task": (N_("tidak ada tugas pengisian data yang terbuka untuk %(period)s; realisasi tidak dapat diisi"),
                           "tidak ada tugas pengisian data yang terbuka untuk %(period)s; realisasi tidak dapat diisi"),
    "entry.task_finished": (N_("tugas %(task)s sudah diselesaikan; realisasi tidak dapat diisi lagi"),
                            "task %(task)s was finished meanwhile; realisasi can no longer be entered"),
    "entry.task_given_away": (N_("tugas %(task)s baru saja dialihkan kepada orang lain; muat ulang halaman"),
                              "task %(task)s was given to someone else meanwhile; reload it"),
    "entry.not_allowed": (N_("pengguna '%(user)s' tidak memiliki tugas pengisian data %(period)s yang terbuka untuk %(indicator)s"),
                          "user '%(user)s' has no open data-entry task for %(period)s that answers for %(indicator)s"),
    "targets.unknown_set": (N_("set: pilih renstra, pk atau pk_perubahan"), "set: pilih renstra, pk atau pk_perubahan"),
    "targets.needs_note": (N_("note: tuliskan dasar perpindahan target (misalnya PK Perubahan yang ditandatangani)"),
                           "note: tuliskan dasar perpindahan target (misalnya PK Perubahan yang ditandatangani)"),
    "targets.not_allowed": (N_("pengguna '%(user)s' tidak boleh mengubah target siklus %(instance)s"),
                            "user '%(user)s' may not change the targets of instance %(instance)s"),
    "targets.missing": (N_("%(set)s %(year)s tidak ada"), "no %(set)s %(year)s"),
    "targets.missing_version": (N_("%(set)s %(year)s v%(version)s tidak ada"), "no %(set)s %(year)s v%(version)s"),
    "targets.frozen": (N_("siklus %(instance)s sudah ditandatangani atau selesai; targetnya tidak dapat diubah"),
                       "instance %(instance)s is signed or finished; its targets can no longer change"),
    "targets.already_used": (N_("siklus %(instance)s sudah diukur terhadap %(set)s"),
                             "instance %(instance)s already measures against %(set)s"),
    "tracker.yearly": (N_("siklus %(instance)s bersifat tahunan (%(period)s); pemantauan dilakukan per triwulan"),
                       "instance %(instance)s is yearly (%(period)s); a tracker is per triwulan"),
    "rekap.no_indicators": (N_("belum ada indikator %(unit)s tahun %(year)s; impor terlebih dahulu"),
                            "no indicators for %(unit)s in %(year)s; import them first"),
    # --- documents (workflow/services/documents.py) ---
    "report.no_rekap": (N_("siklus %(instance)s tidak memiliki Kertas Kerja untuk dilaporkan (tidak ada indikator %(period)s)"),
                        "instance %(instance)s has no Kertas Kerja to report (no indicators for %(period)s)"),
    "checklist.no_indicators": (N_("pengguna '%(user)s' tidak bertanggung jawab atas indikator %(unit)s tahun %(year)s"),
                                "user '%(user)s' answers for no indicator of %(unit)s in %(year)s"),
    "nota_dinas.pattern": (N_("pola nomor Nota Dinas unit %(unit)s tidak dapat dipakai (%(problem)s); perbaiki di berkas organisasi"),
                           "nota_dinas_pattern of unit %(unit)s: %(problem)s; fix it in the organisation file"),
    "template.too_costly": (N_("templat Word %(file)s: pengisiannya memakan terlalu banyak waktu atau memori (%(detail)s); sederhanakan isiannya"),
                            "Word template %(template)s: filling it took too much time or memory (%(detail)s); simplify its fields"),
    "template.cannot_fill": (N_("templat Word %(file)s: ada isian yang tidak dapat diisi (%(detail)s)"),
                             "Word template %(template)s: a field cannot be filled: %(detail)s"),
    "template.too_large": (N_("templat Word %(file)s: lebih dari %(mb)s MB"), "Word template %(template)s: larger than %(mb)s MB"),
    "template.too_large_unpacked": (N_("templat Word %(file)s: lebih dari %(mb)s MB setelah dibuka"),
                                    "Word template %(template)s: larger than %(mb)s MB unpacked"),
    "template.not_docx": (N_("templat Word %(file)s: bukan dokumen Word (.docx)"),
                          "Word template %(template)s: not a Word document (.docx): %(detail)s"),
    "template.broken_field": (N_("templat Word %(file)s: ada isian yang rusak di sekitar baris %(line)s (%(detail)s)"),
                              "Word template %(template)s: a field is broken near line %(line)s: %(detail)s"),
    "template.field_not_allowed": (N_("templat Word %(file)s: ada isian yang tidak diizinkan (%(detail)s)"),
                                   "Word template %(template)s: a field is not allowed: %(detail)s"),
    # --- workbooks (workflow/services/workbook.py) ---
    "file.unreadable": (N_("file: %(file)s tidak dapat dibaca (%(reason)s)"), "file: %(file)s tidak dapat dibaca (%(reason)s)"),
    "file.too_large": (N_("file: %(file)s lebih dari %(mb)s MB"), "file: %(file)s lebih dari %(mb)s MB"),
    "file.too_large_unpacked": (N_("file: %(file)s lebih dari %(mb)s MB setelah dibuka"),
                                "file: %(file)s lebih dari %(mb)s MB setelah dibuka"),
    "file.not_xlsx": (N_("file: %(file)s bukan berkas XLSX yang dapat dibaca (%(reason)s)"),
                      "file: %(file)s bukan berkas XLSX yang dapat dibaca (%(reason)s)"),
    "file.no_known_sheet": (N_("file: %(file)s tidak memuat sheet Pohon Kinerja, Indikator, PK, PK Perubahan, Renstra atau Rencana Aksi"),
                            "file: %(file)s tidak memuat sheet Pohon Kinerja, Indikator, PK, PK Perubahan, Renstra atau Rencana Aksi"),
    "file.missing": (N_("file: %(file)s tidak ada"), "file: %(file)s does not exist"),
    "sheet.too_many_scanned": (N_("%(sheet)s: lebih dari %(rows)s baris (termasuk baris kosong)"),
                               "%(sheet)s: lebih dari %(rows)s baris (termasuk baris kosong)"),
    "sheet.too_many_rows": (N_("%(sheet)s: lebih dari %(rows)s baris"), "%(sheet)s: lebih dari %(rows)s baris"),
    "import.year_out_of_range": (N_("year: %(year)s di luar rentang 2000-2100"), "year: %(year)s di luar rentang 2000-2100"),
    "import.not_allowed": (N_("pengguna '%(user)s' tidak boleh mengimpor data %(unit)s"),
                           "user '%(user)s' may not import data for %(unit)s"),
    "import.rows": (N_("%(count)s baris bermasalah; tidak ada yang disimpan: %(shown)s"),
                    "%(count)s baris bermasalah; tidak ada yang disimpan: %(shown)s"),
    # --- bukti dukung uploads (workflow/adapters/evidence.py) ---
    "evidence.no_name": (N_("bukti dukung: nama berkas kosong"), "bukti dukung: nama berkas kosong"),
    "evidence.name_too_long": (N_("bukti dukung: nama berkas %(length)s karakter melebihi batas %(limit)s karakter"),
                               "bukti dukung: nama berkas %(length)s karakter melebihi batas %(limit)s karakter"),
    "evidence.control_in_name": (N_("bukti dukung %(file)s: nama berkas memuat karakter kendali"),
                                 "bukti dukung %(file)s: nama berkas memuat karakter kendali"),
    "evidence.empty": (N_("bukti dukung %(file)s: berkas kosong"), "bukti dukung %(file)s: berkas kosong"),
    "evidence.too_large": (N_("bukti dukung %(file)s: %(size)s byte melebihi batas %(limit)s byte"),
                           "bukti dukung %(file)s: %(size)s byte melebihi batas %(limit)s byte"),
    "evidence.wrong_type": (N_("bukti dukung %(file)s: jenis berkas %(ext)s tidak diizinkan; pakai PDF, JPG, PNG, XLSX atau DOCX"),
                            "bukti dukung %(file)s: jenis berkas %(ext)s tidak diizinkan; pakai PDF, JPG, PNG, XLSX atau DOCX"),
    "evidence.program": (N_("bukti dukung %(file)s: isi berkas adalah program, bukan dokumen"),
                         "bukti dukung %(file)s: isi berkas adalah program, bukan dokumen"),
    "evidence.wrong_content": (N_("bukti dukung %(file)s: isi berkas tidak sesuai dengan jenis %(ext)s"),
                               "bukti dukung %(file)s: isi berkas tidak sesuai dengan jenis %(ext)s"),
    "evidence.too_many": (N_("bukti dukung: %(count)s berkas melebihi batas %(limit)s berkas per isian"),
                          "bukti dukung: %(count)s berkas melebihi batas %(limit)s berkas per isian"),
    "evidence.missing": (N_("evidence: %(path)s tidak ada"), "evidence: %(path)s does not exist"),
    # --- the API's request body (web/api.py) ---
    "body.not_object": (N_("body: harus berupa objek JSON"), "body: must be a JSON object"),
    "body.not_text": (N_("%(field)s: harus berupa teks"), "%(field)s: must be a string"),
    "body.required": (N_("%(field)s: wajib diisi (teks)"), "%(field)s: required (a string)"),
    "body.not_boolean": (N_("%(field)s: harus true atau false"), "%(field)s: must be true or false"),
    "task.not_yours": (N_("pengguna %(user)s tidak dapat mengerjakan tugas %(task)s"),
                       "user '%(user)s' may not act on task %(task)s"),
    # --- the command line (workflow/cli) ---
    "cli.row_format": (N_("row: '%(item)s' harus berbentuk KODE=CATATAN"), "row: '%(item)s' must be CODE=NOTE"),
    "cli.not_iso_datetime": (N_("%(field)s: '%(value)s' bukan tanggal dan waktu ISO 8601"),
                             "%(field)s: '%(value)s' is not an ISO 8601 date and time"),
    "cli.no_utc_offset": (N_("%(field)s: '%(value)s' tidak memiliki selisih UTC; tulis misalnya %(value)s+07:00 atau %(value)sZ"),
                          "%(field)s: '%(value)s' has no UTC offset; write e.g. %(value)s+07:00 or %(value)sZ"),
    "cli.waktu": (N_("waktu: %(detail)s"), "waktu: %(detail)s"),
    "cli.unknown_scale": (N_("skala '%(scale)s' tidak dikenal; yang dikenal: %(known)s"),
                          "unknown scale '%(scale)s'; known: %(known)s"),
    "cli.mixed_values": (N_("target, realisasi: keduanya harus angka, atau keduanya predikat"),
                         "target, realisasi: both must be numbers, or both grades"),
    "cli.password_too_short": (N_("password: paling sedikit 8 karakter"), "password: at least 8 characters"),
    # --- the demo (workflow/services/demo.py) ---
    "demo.no_free_triwulan": (N_("tidak ada triwulan yang masih kosong untuk %(unit)s"), "no free triwulan left for %(unit)s"),
    "demo.needs_admin": (N_("demo memerlukan pengguna admin (muat examples/org-kutorejo.yaml)"),
                         "the demo needs an admin user (load examples/org-kutorejo.yaml)"),
    "demo.check_failed": (N_("sakip check menemukan %(count)s pelanggaran setelah siklus demo"),
                          "sakip check found %(count)s violation(s) after the demo cycle"),
}  # fmt: skip

#: code -> Indonesian msgid: what `localise` translates, and the table of every error code.
ERRORS: dict[str, str] = {code: indonesian for code, (indonesian, _) in _TABLE.items()}
#: Indonesian msgid -> English contract text: the English catalogue's msgstr (written by build.py).
ENGLISH: dict[str, str] = {indonesian: english for indonesian, english in _TABLE.values()}

#: Params that hold an action or a status word, shown as the UI says it.
_STATUS_PARAMS = ("status",)

ACTIONS_ID = {
    "done": "selesai", "approve": "disetujui", "return": "dikembalikan", "paraf": "diparaf",
    "sign": "ditandatangani", "archive": "diarsipkan",
}  # fmt: skip


def _english() -> bool:
    return session.get("lang", "id") == "en"


def action_word(action: str) -> str:
    """An action as the UI says it (`done` -> `selesai`), in the user's language."""
    return action if _english() else ACTIONS_ID.get(action, action)


#: Codes whose `at` param (the contract's UTC ISO time) the pages show in the unit's local time.
_LOCAL_TIME_CODES = ("task.finished_at", "task.finished_by_at")


def _local_time(at: str, task_id: object) -> str:
    """AT (`2024-05-14T03:05:00Z`) as the unit of task TASK_ID writes it (`14 Mei 2024 10.05 WIB`),
    in Asia/Jakarta when the task or its unit is not found; AT as it is when it is not an ISO time."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    timezone = "Asia/Jakarta"
    service = current_app.extensions.get("sakip_service")
    if service is not None and isinstance(task_id, int):
        found = instances.task_and_instance(service, task_id)
        if found is not None:
            timezone = instances.unit_by_id(service, found[1].unit_id).timezone or timezone
    return waktu_lokal(moment, timezone)


def localise(error: WorkflowError | IndicatorError | str) -> str:
    """ERROR in the user's language (Indonesian unless they chose English), translated by its code.

    A plain string is a message that is not an engine error: it is shown as it is. So is an error
    whose code has no entry in `ERRORS`, and every error for a user who chose English (its English
    text is the contract's, which the catalogue's English entry repeats).
    """
    if isinstance(error, str):
        return error
    if _english():  # the contract text itself, exactly as the CLI and the API say it
        return str(error)
    msgid = ERRORS.get(error.code)
    if msgid is None:
        return str(error)
    params: dict[str, Any] = dict(error.params)
    for name in _STATUS_PARAMS:
        if name in params:
            params[name] = action_word(str(params[name]))
    if error.code in _LOCAL_TIME_CODES and "at" in params:
        params["at"] = _local_time(str(params["at"]), params.get("task"))
    try:
        return str(gettext(msgid)) % params
    except (KeyError, ValueError, TypeError):  # a raise site without a param its text needs
        return str(error)
