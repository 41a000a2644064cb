"""The roles a Kecamatan's SOPs name, and the seksi a Kasi heads."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "camat": "Camat",
    "sekcam": "Sekretaris Camat",
    "kasubag_ppk": "Kasubag Penyusunan Program dan Keuangan",
    "staf_perencanaan": "Staf Subbag Perencanaan",
    "kasi": "Kepala Seksi",
    "tim_sakip": "Tim SAKIP",
    "asn": "ASN Internal",
    "pengadministrasi": "Pengadministrasi Program dan Perencanaan",
    # At the Kabupaten: the Bagian Organisasi Setda, which follows every Kecamatan's progress,
    # and the Inspektorat, which reviews and evaluates their SAKIP (web/access.py MONITORING_ROLES).
    "bag_organisasi": "Bagian Organisasi",
    "inspektorat": "Inspektorat",
}

SEKSI: dict[str, str] = {
    "pemerintahan": "Seksi Pemerintahan",
    "trantib": "Seksi Ketentraman, Ketertiban Umum dan Perlindungan Masyarakat",
    "pembangunan": "Seksi Pembangunan",
    "kemasyarakatan": "Seksi Kemasyarakatan",
    "pelayanan": "Seksi Pelayanan",
}

# Roles held one per seksi: an assignment to one of these must name its seksi.
ROLES_WITH_SEKSI = frozenset({"kasi"})


def position_key(role: str, seksi: str | None) -> str:
    """Name one position: `camat`, or `kasi.pelayanan` for a role held per seksi."""
    return f"{role}.{seksi}" if seksi else role


@dataclass(frozen=True)
class Holding:
    """A role a person holds in a unit today, and whether as Plt."""

    unit_id: int
    role: str
    seksi: str | None
    acting: bool

    @property
    def position(self) -> str:
        return position_key(self.role, self.seksi)


@dataclass(frozen=True)
class Holder:
    """A person who holds a role in a unit today, and whether as Plt."""

    person_id: int
    username: str
    seksi: str | None
    acting: bool
