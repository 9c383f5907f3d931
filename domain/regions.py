"""GB/T 2260 administrative division codes for Hubei (湖北省, 420000) and jurisdiction rules.

A regulator's jurisdiction is a code; it covers every code sharing its significant prefix:
the province 420000 covers 42xxxx, a prefecture 420100 covers 4201xx, a county covers itself.
County-level codes are accepted when their prefecture is known and the county part is 01–99;
names are known for the prefectures, the province-administered cities and Wuhan's districts.
Where every county of a prefecture is known (Wuhan's 13 districts), any other code of it is
refused, naming the code: 420199 is no district, and must not pass for 武汉市.
"""

from __future__ import annotations

from domain.errors import InvalidValue

RULE = "GB/T 2260"
PROVINCE = "420000"

PREFECTURES: dict[str, tuple[str, str]] = {
    "420100": ("武汉市", "Wuhan"),
    "420200": ("黄石市", "Huangshi"),
    "420300": ("十堰市", "Shiyan"),
    "420500": ("宜昌市", "Yichang"),
    "420600": ("襄阳市", "Xiangyang"),
    "420700": ("鄂州市", "Ezhou"),
    "420800": ("荆门市", "Jingmen"),
    "420900": ("孝感市", "Xiaogan"),
    "421000": ("荆州市", "Jingzhou"),
    "421100": ("黄冈市", "Huanggang"),
    "421200": ("咸宁市", "Xianning"),
    "421300": ("随州市", "Suizhou"),
    "422800": ("恩施土家族苗族自治州", "Enshi"),
    "429004": ("仙桃市", "Xiantao"),
    "429005": ("潜江市", "Qianjiang"),
    "429006": ("天门市", "Tianmen"),
    "429021": ("神农架林区", "Shennongjia"),
}

DISTRICTS: dict[str, str] = {
    "420102": "江岸区",
    "420103": "江汉区",
    "420104": "硚口区",
    "420105": "汉阳区",
    "420106": "武昌区",
    "420107": "青山区",
    "420111": "洪山区",
    "420112": "东西湖区",
    "420113": "汉南区",
    "420114": "蔡甸区",
    "420115": "江夏区",
    "420116": "黄陂区",
    "420117": "新洲区",
}

# Prefectures whose every county-level code is listed above: others of them are made up.
COMPLETE: dict[str, dict[str, str]] = {"420100": DISTRICTS}

NAMES: dict[str, str] = {
    PROVINCE: "湖北省",
    **{k: v[0] for k, v in PREFECTURES.items()},
    **DISTRICTS,
}


def prefecture_of(code: str) -> str:
    """The prefecture-level code of a Hubei code (province-administered cities are their own)."""
    if code.startswith("4290"):
        return code
    return code[:4] + "00"


def validate_region(code: str, *, field: str = "region") -> str:
    """Return the code if it is a Hubei GB/T 2260 code; raise InvalidValue otherwise."""
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        raise InvalidValue(
            f"region must be a 6-digit GB/T 2260 code, got {code!r}", rule=RULE, field=field
        )
    if code == PROVINCE or code in PREFECTURES:
        return code
    if not code.startswith("42"):
        raise InvalidValue(f"region {code} is outside Hubei (42xxxx)", rule=RULE, field=field)
    if code.startswith("4290"):
        raise InvalidValue(
            f"region {code} is not a province-administered city of Hubei", rule=RULE, field=field
        )
    pref = prefecture_of(code)
    if pref not in PREFECTURES:
        raise InvalidValue(
            f"region {code}: {pref} is not a prefecture of Hubei", rule=RULE, field=field
        )
    counties = COMPLETE.get(pref)
    if counties is not None and code not in counties:
        raise InvalidValue(
            f"region {code} is not a division of {PREFECTURES[pref][0]} "
            f"(its codes: {pref}, {', '.join(counties)})",
            rule=RULE,
            field=field,
        )
    return code


def scope_prefix(jurisdiction: str) -> str:
    """The code prefix a jurisdiction covers: 42 for the province, 4201 for 420100, …"""
    if jurisdiction.endswith("0000"):
        return jurisdiction[:2]
    if jurisdiction.endswith("00") and not jurisdiction.startswith("4290"):
        return jurisdiction[:4]
    return jurisdiction


def covers(jurisdiction: str, region: str) -> bool:
    """True when a regulator of `jurisdiction` may see or act on records of `region`."""
    return region.startswith(scope_prefix(jurisdiction))


def region_name(code: str) -> str:
    return NAMES.get(code) or NAMES.get(prefecture_of(code), code)
