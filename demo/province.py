"""The demo's geography and population: Hubei's 17 prefecture-level regions, their county-level
divisions (GB/T 2260), industries by region, enterprise names and USCCs, and the people who hold
special-operation certificates (names, GB 11643 ID numbers, phones — personal data that only
ever reaches the log sealed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from domain.regions import PREFECTURES
from domain.uscc import ALPHABET, make_uscc

# County-level divisions per prefecture (GB/T 2260, 2018) and the prefecture's share of
# enterprises; province-administered cities are their own county.
COUNTIES: dict[str, dict[str, str]] = {
    "420100": {
        "420102": "江岸区", "420103": "江汉区", "420104": "硚口区", "420105": "汉阳区",
        "420106": "武昌区", "420107": "青山区", "420111": "洪山区", "420112": "东西湖区",
        "420113": "汉南区", "420114": "蔡甸区", "420115": "江夏区", "420116": "黄陂区",
        "420117": "新洲区",
    },
    "420200": {
        "420202": "黄石港区", "420203": "西塞山区", "420204": "下陆区", "420205": "铁山区",
        "420222": "阳新县", "420281": "大冶市",
    },
    "420300": {
        "420302": "茅箭区", "420303": "张湾区", "420304": "郧阳区", "420322": "郧西县",
        "420323": "竹山县", "420325": "房县", "420381": "丹江口市",
    },
    "420500": {
        "420502": "西陵区", "420503": "伍家岗区", "420505": "猇亭区", "420506": "夷陵区",
        "420526": "兴山县", "420527": "秭归县", "420581": "宜都市", "420582": "当阳市",
        "420583": "枝江市",
    },
    "420600": {
        "420602": "襄城区", "420606": "樊城区", "420607": "襄州区", "420624": "南漳县",
        "420625": "谷城县", "420682": "老河口市", "420683": "枣阳市", "420684": "宜城市",
    },
    "420700": {"420702": "梁子湖区", "420703": "华容区", "420704": "鄂城区"},
    "420800": {
        "420802": "东宝区", "420804": "掇刀区", "420822": "沙洋县", "420881": "钟祥市",
        "420882": "京山市",
    },
    "420900": {
        "420902": "孝南区", "420921": "孝昌县", "420922": "大悟县", "420923": "云梦县",
        "420981": "应城市", "420982": "安陆市", "420984": "汉川市",
    },
    "421000": {
        "421002": "沙市区", "421003": "荆州区", "421022": "公安县", "421024": "江陵县",
        "421081": "石首市", "421083": "洪湖市", "421087": "松滋市",
    },
    "421100": {
        "421102": "黄州区", "421122": "红安县", "421123": "罗田县", "421125": "浠水县",
        "421126": "蕲春县", "421127": "黄梅县", "421181": "麻城市", "421182": "武穴市",
    },
    "421200": {
        "421202": "咸安区", "421221": "嘉鱼县", "421222": "通城县", "421223": "崇阳县",
        "421224": "通山县", "421281": "赤壁市",
    },
    "421300": {"421303": "曾都区", "421321": "随县", "421381": "广水市"},
    "422800": {
        "422801": "恩施市", "422802": "利川市", "422822": "建始县", "422823": "巴东县",
        "422825": "宣恩县", "422826": "咸丰县",
    },
    "429004": {"429004": "仙桃市"},
    "429005": {"429005": "潜江市"},
    "429006": {"429006": "天门市"},
    "429021": {"429021": "神农架林区"},
}  # fmt: skip
WEIGHTS = {
    "420100": 28, "420200": 5, "420300": 5, "420500": 9, "420600": 8, "420700": 3,
    "420800": 6, "420900": 6, "421000": 7, "421100": 6, "421200": 4, "421300": 3,
    "422800": 3, "429004": 2, "429005": 2.5, "429006": 2, "429021": 0.5,
}  # fmt: skip
SHORT = {
    "420000": "鄂", "420100": "武", "420200": "黄石", "420300": "十堰", "420500": "宜",
    "420600": "襄", "420700": "鄂州", "420800": "荆门", "420900": "孝", "421000": "荆",
    "421100": "黄冈", "421200": "咸", "421300": "随", "422800": "恩施州", "429004": "仙",
    "429005": "潜", "429006": "天", "429021": "神",
}  # fmt: skip
assert COUNTIES.keys() == PREFECTURES.keys() == WEIGHTS.keys()

INDUSTRY_MIX = {
    "hazardous_chemicals": 22, "industry_trade": 30, "construction": 15, "warehousing": 10,
    "metallurgy": 8, "non_coal_mining": 10, "fireworks": 5,
}  # fmt: skip
# Regional character: the Yangtze chemical belt, the Daye–Huangshi mining and steel base, …
REGIONAL = {
    "420500": {"hazardous_chemicals": 2.5, "non_coal_mining": 1.5},
    "420800": {"hazardous_chemicals": 2.0},
    "429005": {"hazardous_chemicals": 3.0},
    "421000": {"hazardous_chemicals": 1.5},
    "420200": {"non_coal_mining": 3.0, "metallurgy": 3.0},
    "420700": {"metallurgy": 3.0},
    "420300": {"non_coal_mining": 2.0, "industry_trade": 1.5},
    "422800": {"non_coal_mining": 2.5, "fireworks": 0.3},
    "421100": {"fireworks": 3.0},
    "420900": {"fireworks": 2.0},
    "420100": {"construction": 1.8, "warehousing": 1.5, "non_coal_mining": 0.2},
}
# The industries that need a safety production licence, and the licence's industry.
LICENSED = {
    "hazardous_chemicals": "hazardous_chemicals",
    "non_coal_mining": "mine",
    "construction": "construction",
    "fireworks": "fireworks",
}
WORDS = {
    "hazardous_chemicals": ("化工", "化学", "石化", "精细化工", "化肥"),
    "industry_trade": ("机械制造", "纺织", "食品", "汽车零部件", "家具", "造纸", "建材"),
    "construction": ("建设工程", "建工集团", "建筑安装工程", "市政工程"),
    "warehousing": ("仓储物流", "物流", "冷链物流", "港务"),
    "metallurgy": ("钢铁", "特钢", "有色金属", "铸造"),
    "non_coal_mining": ("矿业", "石材", "磷矿", "建材矿业"),
    "fireworks": ("烟花爆竹", "花炮"),
}
BRANDS = "华兴宏盛鑫恒泰达安通源鼎嘉瑞丰隆远创新长江楚天汉光明正大永昌东方金山富"


@dataclass(frozen=True)
class Place:
    prefecture: str
    county: str
    county_name: str

    @property
    def city(self) -> str:
        return PREFECTURES[self.prefecture][0]


def place_of(county: str) -> Place:
    pref = county if county.startswith("4290") else county[:4] + "00"
    return Place(pref, county, COUNTIES[pref][county])


def allocate(n: int, rng: random.Random, fixed: list[str]) -> list[Place]:
    """`n` places: the `fixed` counties first, then one per prefecture (largest share first)
    while they last, then prefectures by weight; counties uniformly within the prefecture."""
    places = [place_of(c) for c in fixed[:n]]
    by_weight = sorted(WEIGHTS, key=lambda p: -WEIGHTS[p])
    covered = {p.prefecture for p in places}
    for pref in by_weight:
        if len(places) >= n:
            break
        if pref not in covered:
            places.append(place_of(rng.choice(sorted(COUNTIES[pref]))))
    prefs, weights = list(WEIGHTS), list(WEIGHTS.values())
    while len(places) < n:
        pref = rng.choices(prefs, weights)[0]
        places.append(place_of(rng.choice(sorted(COUNTIES[pref]))))
    return places


def industry_for(place: Place, rng: random.Random) -> str:
    tweak = REGIONAL.get(place.prefecture, {})
    names = list(INDUSTRY_MIX)
    return rng.choices(names, [INDUSTRY_MIX[i] * tweak.get(i, 1.0) for i in names])[0]


def enterprise_name(place: Place, industry: str, rng: random.Random, taken: set[str]) -> str:
    while True:
        brand = "".join(rng.sample(BRANDS, 2))
        city = place.city.removesuffix("市").removesuffix("土家族苗族自治州").removesuffix("林区")
        name = f"{city}{brand}{rng.choice(WORDS[industry])}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def new_uscc(place: Place, rng: random.Random, taken: set[str]) -> str:
    """A valid GB 32100 code: 91 (enterprise), the county code, an organisation code."""
    while True:
        org = "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
        code = make_uscc(f"91{place.county}{org}")
        if code not in taken:
            taken.add(code)
            return code


# -- people ----------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红军文斌辉鹏飞波宇浩凯俊峰亮林"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(county: str, born: date, rng: random.Random) -> str:
    """A GB 11643 citizen ID number with a valid ISO 7064 MOD 11-2 check character."""
    body = f"{county}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def person(county: str, rng: random.Random, today: date) -> dict[str, str]:
    """A plain person as the vault seals it: {"name", "id_number", "phone"}."""
    born = today - timedelta(days=rng.randint(20 * 365, 55 * 365))
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    phone = f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
    return {"name": name, "id_number": id_number(county, born, rng), "phone": phone}
