"""Where Hubei's regions are: the seat (驻地) of each prefecture-level region and of the
county-level divisions the platform most often meets, as WGS 84 latitude and longitude in degrees.

The dispatch suggestion (domain.dispatch) measures great-circle distances from an incident to
the rescue teams; where the enterprise's own coordinates are not on record it starts from the
seat of the enterprise's region, and for a county not listed here from its prefecture's seat.
The coordinates are those of the government seats (rounded to 0.001°, about 100 m), which is
well within what a suggestion of the nearest team needs; a dispatcher confirms every dispatch.
"""

from __future__ import annotations

from domain.regions import PROVINCE, prefecture_of

# code → (latitude, longitude), WGS 84 degrees.
SEATS: dict[str, tuple[float, float]] = {
    # The province's seat is Wuhan.
    PROVINCE: (30.593, 114.305),
    # Prefecture-level regions (and the province-administered cities).
    "420100": (30.593, 114.305),  # 武汉市
    "420200": (30.200, 115.039),  # 黄石市
    "420300": (32.629, 110.798),  # 十堰市
    "420500": (30.692, 111.286),  # 宜昌市
    "420600": (32.009, 112.122),  # 襄阳市
    "420700": (30.391, 114.895),  # 鄂州市
    "420800": (31.035, 112.199),  # 荆门市
    "420900": (30.924, 113.917),  # 孝感市
    "421000": (30.335, 112.240),  # 荆州市
    "421100": (30.447, 114.872),  # 黄冈市
    "421200": (29.841, 114.322),  # 咸宁市
    "421300": (31.690, 113.383),  # 随州市
    "422800": (30.272, 109.488),  # 恩施土家族苗族自治州
    "429004": (30.363, 113.454),  # 仙桃市
    "429005": (30.402, 112.899),  # 潜江市
    "429006": (30.653, 113.166),  # 天门市
    "429021": (31.745, 110.676),  # 神农架林区
    # Wuhan's districts.
    "420102": (30.600, 114.309),  # 江岸区
    "420103": (30.601, 114.271),  # 江汉区
    "420104": (30.582, 114.215),  # 硚口区
    "420105": (30.554, 114.218),  # 汉阳区
    "420106": (30.554, 114.316),  # 武昌区
    "420107": (30.640, 114.385),  # 青山区
    "420111": (30.500, 114.344),  # 洪山区
    "420112": (30.620, 114.137),  # 东西湖区
    "420113": (30.309, 114.081),  # 汉南区
    "420114": (30.582, 114.029),  # 蔡甸区
    "420115": (30.375, 114.313),  # 江夏区
    "420116": (30.882, 114.375),  # 黄陂区
    "420117": (30.842, 114.802),  # 新洲区
    # County-level cities.
    "420222": (29.830, 115.215),  # 阳新县
    "420281": (30.096, 114.975),  # 大冶市
    "420381": (32.540, 111.513),  # 丹江口市
    "420581": (30.378, 111.450),  # 宜都市
    "420582": (30.821, 111.789),  # 当阳市
    "420583": (30.426, 111.760),  # 枝江市
    "420682": (32.385, 111.671),  # 老河口市
    "420683": (32.129, 112.772),  # 枣阳市
    "420881": (31.167, 112.588),  # 钟祥市
    "420882": (31.018, 113.119),  # 京山市
    "420981": (30.928, 113.573),  # 应城市
    "420984": (30.661, 113.839),  # 汉川市
    "421081": (29.721, 112.425),  # 石首市
    "421083": (29.826, 113.476),  # 洪湖市
    "421087": (30.170, 111.767),  # 松滋市
    "421181": (31.173, 115.008),  # 麻城市
    "421182": (29.844, 115.561),  # 武穴市
    "421281": (29.725, 113.900),  # 赤壁市
    "421381": (31.617, 113.826),  # 广水市
    "422801": (30.295, 109.479),  # 恩施市
    "422802": (30.291, 108.936),  # 利川市
}

# Hubei's extent (with a margin): a coordinate outside it is not in the province.
LATITUDES = (29.0, 33.4)
LONGITUDES = (108.3, 116.2)


def seat_of(code: str) -> tuple[float, float]:
    """The seat of `code`, else of its prefecture, else the province's (Wuhan)."""
    return SEATS.get(code) or SEATS.get(prefecture_of(code)) or SEATS[PROVINCE]


def in_hubei(latitude: float, longitude: float) -> bool:
    return LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]
