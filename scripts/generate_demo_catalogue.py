"""Generate the demo catalogue in the import format of knowledge_base/catalogue/README.md.

The project ships a catalogue of realistic size so search, lookups and dialogue can be
exercised on it: 60+ cities with their districts, 1,500+ hotels with room types, 1,000+
sights, 150+ tours and train/flight/bus timetables between 80+ city pairs.

Sources, in order of authority:
- ``knowledge_base/catalogue/{hotels,tours,transport}.yml``: every hotel, tour and service
  is kept with its id/code, name and prices (tests and demo bookings rely on them); the
  missing facts (phone, facilities, metro, itinerary, seats ...) are filled in;
- ``knowledge_base/attractions.yml``: every attraction becomes a sight (same name, city,
  aliases);
- ``scripts/demo_catalogue_cities.txt``: cities, area codes, airports, stations and
  districts with approximate centres, metro stations and road names;
- ``scripts/demo_catalogue_sights.txt``: public facts about famous sights (approximate),
  where the famous ones are (public coordinates) and which stays gather around them, and
  more real sight names per city.
Hotels are placed around those famous sights (a traveller searches "故宫附近"), or by the
sight they are named after; the others lie near their district's centre.
Everything else (hotels, addresses, phone numbers, invented sights, tours, timetables) is
invented, and every row says ``demo: yes``.

The output is deterministic: every random choice comes from a generator seeded with a
fixed string and the item's key, and rows are written in a stable order, so the same
files come out byte for byte on every run.

Usage::

    python scripts/generate_demo_catalogue.py [--out DIR] [--scale N]

``--scale N`` writes N copies of the hotels, rooms, sights and services (copies get new
ids, names and codes) for benchmarks; scale 1 writes the committed demo files.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "knowledge_base"
DEFAULT_OUT = KB / "catalogue" / "demo"
CITIES_FILE = Path(__file__).with_name("demo_catalogue_cities.txt")
SIGHTS_FILE = Path(__file__).with_name("demo_catalogue_sights.txt")
SEED = "tripdesk-demo-catalogue-v1"

MIN_HOTELS, MIN_SIGHTS, MIN_TOURS, MIN_PAIRS = 1500, 1000, 150, 80
HOTELS_PER_TIER = {1: 60, 2: 20, 3: 10}
HUBS = ("北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "西安", "武汉", "厦门")

# Short codes used in generated ids (H-BJ-101, S-BJ-001, T-BJ-101, bus BJTJ-11).
CITY_CODES = {
    "北京": "BJ", "上海": "SH", "广州": "GZ", "深圳": "SZ", "杭州": "HZ", "南京": "NJ",
    "苏州": "SUZ", "成都": "CD", "重庆": "CQ", "西安": "XA", "武汉": "WH", "厦门": "XM",
    "天津": "TJ", "长沙": "CS", "青岛": "QD", "大连": "DAL", "沈阳": "SHY", "哈尔滨": "HEB",
    "长春": "CC", "济南": "JN", "郑州": "ZZ", "洛阳": "LY", "合肥": "HF", "黄山": "HS",
    "福州": "FZ", "泉州": "QZ", "南昌": "NC", "昆明": "KM", "丽江": "LJ", "大理": "DL",
    "西双版纳": "BN", "贵阳": "GY", "南宁": "NN", "桂林": "GL", "阳朔": "YS", "海口": "HK",
    "三亚": "SY", "拉萨": "LS", "兰州": "LZ", "敦煌": "DH", "西宁": "XN", "银川": "YC",
    "乌鲁木齐": "WLMQ", "呼和浩特": "HHHT", "太原": "TY", "大同": "DT", "石家庄": "SJZ",
    "秦皇岛": "QHD", "承德": "CDE", "宁波": "NB", "温州": "WZ", "绍兴": "SX", "无锡": "WX",
    "扬州": "YZ", "珠海": "ZH", "佛山": "FS", "东莞": "DG", "张家界": "ZJJ", "宜昌": "YIC",
    "香港": "HKG", "澳门": "MO", "烟台": "YT", "威海": "WEH", "常州": "CZ", "徐州": "XZ",
    "九江": "JJ",
}

GRADES = ("经济型", "舒适型", "高档型", "豪华型")
GRADE_STARS = {"经济型": 2, "舒适型": 3, "高档型": 4, "豪华型": 5}
GRADE_PRICE = {"经济型": (150, 350), "舒适型": (250, 500), "高档型": (400, 900), "豪华型": (800, 3000)}
GRADE_RATING = {"经济型": (3.6, 4.6), "舒适型": (4.0, 4.8), "高档型": (4.3, 4.9), "豪华型": (4.5, 4.9)}
BRANDS = {
    "经济型": ("如家酒店", "汉庭酒店", "7天酒店", "锦江之星", "格林豪泰酒店", "城市便捷酒店",
              "宜必思酒店", "海友酒店", "尚客优酒店", "布丁酒店"),
    "舒适型": ("全季酒店", "维也纳酒店", "麗枫酒店", "桔子酒店", "智选假日酒店", "希尔顿欢朋酒店",
              "城际酒店", "秋果酒店", "锦江都城酒店", "星程酒店"),
    "高档型": ("亚朵酒店", "桔子水晶酒店", "和颐酒店", "美居酒店", "假日酒店", "福朋喜来登酒店",
              "漫心酒店", "喆啡酒店", "维也纳国际酒店", "开元名庭酒店"),
    "豪华型": ("希尔顿酒店", "万豪酒店", "洲际酒店", "喜来登酒店", "香格里拉大酒店", "凯悦酒店",
              "皇冠假日酒店", "威斯汀酒店", "索菲特酒店", "开元名都大酒店"),
}
FLAVOURS = ("云栖", "澜庭", "璞悦", "半山", "锦庭", "青瓦", "知行", "拾光", "栖迟", "木棉", "竹里",
            "听涛", "观澜", "花间", "逸居", "清舍", "朴宿", "星河", "晴川", "兰亭", "墨香", "素院",
            "禾舍", "悦榕", "君庭", "雅居", "望湖", "揽月", "雲上", "静庐", "海棠", "梧桐", "南风",
            "归去来", "隐庐", "枕水", "春山", "桃李", "溪岸", "紫藤")
SUFFIX_BY_TYPE = {
    "商务": ("酒店", "大酒店", "商务酒店", "宾馆"),
    "度假": ("度假酒店", "度假村", "酒店"),
    "精品": ("精品酒店", "设计酒店", "酒店"),
    "民宿": ("民宿", "客栈", "小院"),
    "公寓": ("酒店公寓", "服务公寓"),
    "亲子": ("亲子酒店", "主题酒店"),
}
RESORT_CITIES = {"三亚", "丽江", "大理", "阳朔", "黄山", "西双版纳", "秦皇岛", "威海", "张家界", "桂林",
                 "厦门", "海口", "烟台", "珠海", "拉萨"}
OLD_TOWN_CITIES = {"丽江", "大理", "阳朔", "黄山", "西双版纳", "泉州", "扬州", "苏州", "绍兴", "平遥"}
HOT_SPRING_CITIES = {"承德", "黄山", "重庆", "福州", "珠海", "西安", "南京"}
ROOM_TYPES = {
    "经济型": (("标准大床房", 1.0, 2, "1张1.5米大床"), ("标准双床房", 1.05, 2, "2张1.2米单人床"),
              ("商务大床房", 1.15, 2, "1张1.8米大床"), ("特价单人间", 0.85, 1, "1张1.2米单人床"),
              ("家庭房", 1.35, 3, "1张1.5米大床+1张1.2米床")),
    "舒适型": (("高级大床房", 1.0, 2, "1张1.8米大床"), ("高级双床房", 1.05, 2, "2张1.2米单人床"),
              ("商务大床房", 1.15, 2, "1张1.8米大床"), ("影音大床房", 1.2, 2, "1张1.8米大床"),
              ("家庭房", 1.4, 4, "2张1.5米大床")),
    "高档型": (("豪华大床房", 1.0, 2, "1张1.8米大床"), ("豪华双床房", 1.05, 2, "2张1.35米单人床"),
              ("行政大床房", 1.3, 2, "1张2米大床"), ("景观大床房", 1.2, 2, "1张1.8米大床"),
              ("亲子家庭房", 1.4, 3, "1张1.8米大床+1张1.2米儿童床"), ("商务套房", 1.8, 3, "1张2米大床+沙发床")),
    "豪华型": (("豪华大床房", 1.0, 2, "1张2米大床"), ("豪华双床房", 1.0, 2, "2张1.35米单人床"),
              ("行政大床房", 1.35, 2, "1张2米大床"), ("景观豪华房", 1.25, 2, "1张2米大床"),
              ("行政套房", 2.2, 3, "1张2米大床+沙发床"), ("家庭套房", 2.0, 4, "2张1.5米大床")),
}
ROOM_AREA = {"经济型": (15, 22), "舒适型": (20, 30), "高档型": (28, 40), "豪华型": (38, 60)}

SIGHT_TICKETS = {  # type -> (chance of a ticket, lowest, highest adult price)
    "山水": (0.55, 30, 160), "古镇": (0.4, 40, 120), "博物馆": (0.35, 10, 60), "商圈": (0.0, 0, 0),
    "主题乐园": (1.0, 120, 320), "历史古迹": (0.75, 10, 80), "公园": (0.15, 5, 20),
    "寺庙": (0.7, 5, 50), "街区": (0.0, 0, 0), "海滨": (0.2, 20, 100), "动物园": (1.0, 20, 150),
    "夜景": (0.35, 30, 180),
}
SIGHT_HOURS = {
    "山水": ("07:30-17:30", "08:00-18:00（17:00停止入园）", "全天开放"),
    "古镇": ("全天开放，收费景点08:00-17:30", "全天开放"),
    "博物馆": ("09:00-17:00（16:00停止入馆），周一闭馆", "09:30-17:30，周一闭馆，需提前预约"),
    "商圈": ("10:00-22:00", "全天开放，商场约10:00-22:00"),
    "主题乐园": ("09:30-18:00，节假日延长", "10:00-21:00（各日不同）"),
    "历史古迹": ("08:30-17:30（17:00停止入场）", "08:00-18:00", "09:00-17:00，周一闭馆"),
    "公园": ("06:00-22:00", "全天开放", "06:30-21:00"),
    "寺庙": ("07:00-17:00", "06:30-17:30", "08:00-16:30"),
    "街区": ("全天开放，店铺约10:00-22:00", "全天开放"),
    "海滨": ("全天开放", "全天开放，游泳区09:00-18:00"),
    "动物园": ("08:00-17:30", "09:00-17:00（16:00停止售票）"),
    "夜景": ("全天开放，亮灯约19:00-23:00", "10:00-22:00"),
}
SIGHT_VISIT = {"山水": "3-5", "古镇": "2-4", "博物馆": "2-3", "商圈": "2-3", "主题乐园": "6-8",
               "历史古迹": "1.5-2", "公园": "1-2", "寺庙": "1-1.5", "街区": "1.5-2", "海滨": "2-3",
               "动物园": "3-4", "夜景": "1-1.5"}
SIGHT_SUITS = {"山水": ("朋友", "情侣", "老人"), "古镇": ("情侣", "朋友", "老人"),
               "博物馆": ("亲子", "学生", "老人"), "商圈": ("朋友", "情侣"), "主题乐园": ("亲子", "朋友", "情侣"),
               "历史古迹": ("学生", "老人", "亲子"), "公园": ("亲子", "老人", "情侣"), "寺庙": ("老人", "朋友"),
               "街区": ("朋友", "情侣", "学生"), "海滨": ("亲子", "情侣", "朋友"), "动物园": ("亲子", "学生"),
               "夜景": ("情侣", "朋友")}
SIGHT_BLURB = {
    "山水": ("山清水秀，步道和观景台适合慢慢走", "四季景色各异，春秋两季最宜游览", "登高远眺，可俯瞰周边山水"),
    "古镇": ("小桥流水和老宅保存完好，适合闲逛拍照", "老街两侧是手作小店和地方小吃"),
    "博物馆": ("馆藏丰富，能一次看懂这座城市的历史", "常设展和临展兼有，适合带孩子长见识"),
    "商圈": ("商场、餐厅和老字号集中，逛吃一站搞定", "城市最热闹的购物区之一"),
    "主题乐园": ("大型游乐项目和演出齐全，适合玩上一整天", "有适合小朋友的主题区和夜场活动"),
    "历史古迹": ("历史遗存保存较好，可请讲解了解来龙去脉", "古建筑和碑刻值得细看"),
    "公园": ("市民休闲散步的好去处，绿树成荫", "有湖面、草坪和儿童游乐区"),
    "寺庙": ("古刹清幽，香火旺盛", "寺内古树和殿宇值得一看，可品素斋"),
    "街区": ("老建筑里开着咖啡馆和小店，适合散步", "夜晚灯光亮起后更有氛围"),
    "海滨": ("沙滩平缓，可玩水看日落", "海风宜人，步道沿海而建"),
    "动物园": ("动物种类多，适合亲子游", "可近距离观察珍稀动物"),
    "夜景": ("夜色中的城市天际线格外好看", "傍晚到这里看日落和灯光最合适"),
}
INVENTED_SIGHTS = {  # type -> name patterns ({d} district alias, {c} city, {r} road)
    "公园": ("{d}湿地公园", "{d}滨河公园", "{d}森林公园", "{d}中央公园", "{d}文化公园", "{d}体育公园", "{d}植物园"),
    "博物馆": ("{c}民俗博物馆", "{c}自然博物馆", "{c}科技馆", "{c}美术馆", "{c}非遗馆", "{c}规划展览馆",
             "{c}工业博物馆", "{c}铁路博物馆", "{c}城市记忆馆", "{c}茶文化博物馆"),
    "街区": ("{r}历史文化街区", "{d}老街", "{r}美食街", "{d}文创园"),
    "寺庙": ("{d}观音寺", "{d}普照寺", "{d}兴福寺", "{d}慈云寺", "{d}崇福寺", "{d}万寿宫"),
    "商圈": ("{r}商业街", "{d}万达广场", "{d}印象城"),
    "夜景": ("{d}滨江夜景带", "{d}灯光秀广场"),
}
SUITS_ORDER = ("亲子", "情侣", "老人", "朋友", "学生")

TRAIN_CLASSES = {"G": ("二等座", "一等座", "商务座"), "D": ("二等座", "一等座"), "K": ("硬座", "硬卧", "软卧")}
AIRLINES = {
    "CA": "中国国航", "MU": "东方航空", "CZ": "南方航空", "HU": "海南航空", "3U": "四川航空",
    "ZH": "深圳航空", "MF": "厦门航空", "FM": "上海航空", "HO": "吉祥航空", "SC": "山东航空",
    "8L": "祥鹏航空", "TV": "西藏航空", "GS": "天津航空", "GJ": "长龙航空", "CX": "国泰航空",
    "NX": "澳门航空", "KN": "中国联合航空", "EU": "成都航空",
}
HOME_AIRLINES = {
    "北京": ("CA", "KN"), "上海": ("MU", "FM", "HO"), "广州": ("CZ",), "深圳": ("ZH", "CZ"),
    "成都": ("3U", "CA", "EU"), "重庆": ("CA", "3U"), "西安": ("MU",), "昆明": ("MU", "8L"),
    "厦门": ("MF",), "福州": ("MF",), "海口": ("HU",), "三亚": ("HU",), "杭州": ("CA", "GJ"),
    "拉萨": ("TV", "CA"), "青岛": ("SC",), "济南": ("SC",), "天津": ("GS",), "乌鲁木齐": ("CZ",),
    "香港": ("CX",), "澳门": ("NX",), "武汉": ("MU", "CZ"), "南京": ("MU",), "长沙": ("CZ",),
}
AIRLINE_TERMINALS = {  # airport -> airline -> terminal
    "北京首都国际机场": {"CA": "T3", "": "T2"}, "上海浦东国际机场": {"MU": "T1", "FM": "T1", "HO": "T2", "": "T2"},
    "上海虹桥国际机场": {"9C": "T1", "": "T2"}, "广州白云国际机场": {"CZ": "T2", "": "T1"},
    "成都天府国际机场": {"3U": "T1", "": "T2"}, "成都双流国际机场": {"CA": "T2", "": "T2"},
    "重庆江北国际机场": {"": "T3"}, "西安咸阳国际机场": {"": "T3"}, "南京禄口国际机场": {"": "T2"},
    "杭州萧山国际机场": {"": "T4"}, "厦门高崎国际机场": {"MF": "T3", "": "T4"}, "武汉天河国际机场": {"": "T3"},
}
OVERRIDE_METRO = {  # sight -> (station, line) where the nearest station is well known
    "故宫": ("天安门东", "1号线"), "天安门广场": ("天安门东", "1号线"), "颐和园": ("北宫门", "4号线"),
    "天坛": ("天坛东门", "5号线"), "圆明园": ("圆明园", "4号线"), "南锣鼓巷": ("南锣鼓巷", "6号线"),
    "什刹海": ("什刹海", "8号线"), "恭王府": ("北海北", "6号线"), "北京环球度假区": ("环球度假区", "7号线"),
    "外滩": ("南京东路", "2号线"), "东方明珠": ("陆家嘴", "2号线"), "上海中心大厦": ("陆家嘴", "2号线"),
    "豫园": ("豫园", "10号线"), "南京路步行街": ("南京东路", "2号线"), "田子坊": ("打浦桥", "9号线"),
    "武康路": ("交通大学", "10号线"), "上海迪士尼度假区": ("迪士尼", "11号线"), "朱家角古镇": ("朱家角", "17号线"),
    "宽窄巷子": ("宽窄巷子", "4号线"), "春熙路": ("春熙路", "2号线"), "锦里": ("高升桥", "3号线"),
    "武侯祠": ("高升桥", "3号线"), "大熊猫繁育研究基地": ("熊猫大道", "3号线"), "西湖": ("龙翔桥", "1号线"),
    "洪崖洞": ("小什字", "1号线"), "解放碑": ("解放碑", "2号线"), "磁器口": ("磁器口", "1号线"),
    "李子坝轻轨站": ("李子坝", "2号线"), "长江索道": ("小什字", "1号线"), "大雁塔": ("大雁塔", "3号线"),
    "大唐不夜城": ("大雁塔", "3号线"), "西安城墙": ("永宁门", "2号线"), "回民街": ("钟楼", "2号线"),
    "兵马俑": ("秦陵西", "9号线"), "华清宫": ("华清池", "9号线"), "广州塔": ("广州塔", "3号线"),
    "陈家祠": ("陈家祠", "1号线"), "沙面": ("黄沙", "1号线"), "长隆野生动物世界": ("汉溪长隆", "3号线"),
    "深圳世界之窗": ("世界之窗", "1号线"), "深圳欢乐谷": ("世界之窗", "1号线"), "中山陵": ("下马坊", "2号线"),
    "夫子庙": ("夫子庙", "3号线"), "玄武湖": ("玄武门", "1号线"), "南京总统府": ("大行宫", "2号线"),
    "平江路": ("相门", "1号线"), "拙政园": ("北寺塔", "4号线"), "苏州园林": ("北寺塔", "4号线"),
    "黄鹤楼": ("司门口黄鹤楼", "5号线"), "户部巷": ("司门口黄鹤楼", "5号线"), "橘子洲": ("橘子洲", "2号线"),
    "中央大街": ("中央大街", "2号线"), "星海广场": ("星海广场", "1号线"), "五大道": ("小白楼", "1号线"),
    "天津之眼": ("金狮桥", "4号线"), "维多利亚港": ("尖沙咀", "荃湾线"), "香港迪士尼乐园": ("迪士尼", "迪士尼线"),
    "香港海洋公园": ("海洋公园", "南港岛线"), "太平山顶": ("中环", "港岛线"),
    "鸟巢国家体育场": ("奥体中心", "8号线"), "水立方": ("奥体中心", "8号线"), "798艺术区": ("将台", "14号线"),
    "雍和宫": ("雍和宫", "2号线"), "景山公园": ("北海北", "6号线"), "北海公园": ("北海北", "6号线"),
    "前门大街": ("前门", "2号线"), "三里屯太古里": ("团结湖", "10号线"), "城隍庙小吃广场": ("豫园", "10号线"),
    "新天地": ("新天地", "10号线"), "静安寺": ("静安寺", "2号线"), "断桥残雪": ("龙翔桥", "1号线"),
    "西溪湿地": ("西溪湿地南", "5号线"), "河坊街": ("定安路", "1号线"), "太古里": ("春熙路", "2号线"),
    "杜甫草堂": ("草堂北路", "4号线"), "文殊院": ("文殊院", "1号线"), "人民公园": ("人民公园", "2号线"),
    "陕西历史博物馆": ("小寨", "2号线"), "鼓楼": ("钟楼", "2号线"), "小雁塔": ("南稍门", "2号线"),
    "长隆欢乐世界": ("汉溪长隆", "3号线"), "长隆国际大马戏": ("汉溪长隆", "3号线"),
    "锦绣中华民俗村": ("华侨城", "1号线"), "明孝陵": ("苜蓿园", "2号线"), "鸡鸣寺": ("鸡鸣寺", "3号线"),
    "观前街": ("临顿路", "1号线"), "留园": ("石路", "2号线"), "山塘街": ("山塘街", "2号线"),
    "金鸡湖": ("东方之门", "1号线"), "中山路步行街": ("镇海路", "1号线"), "楚河汉街": ("楚河汉街", "4号线"),
    "防洪纪念塔": ("中央大街", "2号线"), "栈桥": ("青岛站", "3号线"), "钟楼": ("钟楼", "2号线"),
}


@dataclass
class District:
    city: str
    name: str
    lat: float
    lon: float
    stations: List[Tuple[str, str]]
    roads: List[str]

    @property
    def alias(self) -> str:
        """The name travellers say without the administrative suffix (浦东新区 -> 浦东)."""
        short = re.sub(r"(新区|区|县|市|镇|乡)$", "", self.name)
        short = re.sub(r"(各族自治|纳西族自治|彝族自治|回族|布依族苗族自治|苗族自治)$", "", short)
        if len(short) < 2 or short == self.name or re.search(".[市区县]", short) or short.startswith("第"):
            return ""  # 桐乡市乌镇, 第七区: no short form a traveller would say
        return short


@dataclass
class City:
    name: str
    area_code: str
    metro: bool
    tier: int
    airports: List[Tuple[str, List[str]]]
    rail: List[str]
    bus_station: str
    districts: List[District] = field(default_factory=list)
    covered: bool = True  # hotels are generated for covered cities only

    @property
    def centre(self) -> Tuple[float, float]:
        first = self.districts[0]
        return first.lat, first.lon

    def district(self, name: str) -> District:
        for district in self.districts:
            if district.name == name:
                return district
        raise KeyError(f"{self.name} has no district {name}")


def rng_for(*key: object) -> random.Random:
    """A generator seeded by the item's key, so one item's draws never shift another's."""
    return random.Random(SEED + ":" + ":".join(str(part) for part in key))


def load_yaml(path: Path, key: str) -> List[Dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)[key])


def data_lines(path: Path) -> Iterable[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def parse_cities() -> Dict[str, City]:
    """Read the cities file: a header line per city, then its districts."""
    cities: Dict[str, City] = {}
    current: Optional[City] = None
    for line in data_lines(CITIES_FILE):
        if line.startswith("@"):
            name, area, metro, tier, airports, rail, bus = (part.strip() for part in line[1:].split("|"))
            current = City(name, area, metro == "M", int(tier), parse_airports(airports),
                           [station for station in rail.split(",") if station], bus)
            cities[name] = current
            continue
        assert current is not None, line
        head, stations, roads = (part.strip() for part in line.split("|"))
        name, lat, lon = head.split()
        current.districts.append(District(
            current.name, name, float(lat), float(lon),
            [tuple(item.split("/", 1)) for item in stations.split()],  # type: ignore[misc]
            roads.split()))
    return cities


def parse_airports(text: str) -> List[Tuple[str, List[str]]]:
    airports = []
    for item in filter(None, text.split(";")):
        _code, rest = item.split("=")
        name, terminals = rest.split(":")
        airports.append((name, [t for t in terminals.split("/") if t]))
    return airports


@dataclass
class SightFact:
    city: str
    name: str
    district: str
    type: str
    tickets: List[Tuple[str, str]]
    hours: str
    visit: str
    suits: List[str]
    description: str
    real: bool  # a real sight (facts public) rather than an invented one


def parse_sights(cities: Dict[str, City]) -> List[SightFact]:
    """Read the sights file: sight-only cities, sights with facts, more real names."""
    facts: List[SightFact] = []
    for line in data_lines(SIGHTS_FILE):
        if line.startswith("="):
            continue  # a landmark's place: parse_landmarks
        if line.startswith("~"):
            name, district, lat, lon, area = line[1:].split("|")
            city = City(name, area, False, 3, [], [], "", covered=False)
            city.districts.append(District(name, district, float(lat), float(lon), [], []))
            cities.setdefault(name, city)
        elif line.startswith("+"):
            city_name, district, kind, names = line[1:].split("|")
            for entry in names.split(","):
                name, _, own_kind = entry.partition("=")
                facts.append(SightFact(city_name, name, district, own_kind or guess_type(name, kind),
                                       [], "", "", [], "", True))
        else:
            city_name, name, district, kind, tickets, hours, visit, suits, text = line.split("|")
            facts.append(SightFact(city_name, name, district, kind, parse_tickets(tickets), hours,
                                   visit, suits.split(","), text, True))
    return facts


@dataclass
class Landmark:
    """A famous sight at its public coordinates, and how hotels gather around it."""
    city: str
    name: str
    lat: float
    lon: float
    aliases: List[str]  # added to the sight's; short ones may name hotels
    ring: Tuple[float, float]  # hotels lie this many km from it
    side: str  # "" all round, or N/E/S/W: the half where the land is
    stays: List[Tuple[str, int]]  # (hotel type or grade, how many) always generated here
    roads: List[str]
    district: str = ""  # the sight's, known once its row is made
    names: List[str] = field(default_factory=list)  # its name and every alias of the sight
    public: bool = True  # False: a sight placed near its district's centre (only hotels named after it follow)


AROUND = re.compile(r"(?:(\d+(?:\.\d+)?)-)?(\d+(?:\.\d+)?)?([NESW]?)")
DEFAULT_RING = (0.0, 1.5)


def parse_landmarks() -> Dict[Tuple[str, str], Landmark]:
    """Read the `=city|sight|lat|lon|aliases|around|stays|roads` lines of the sights file."""
    landmarks: Dict[Tuple[str, str], Landmark] = {}
    for line in data_lines(SIGHTS_FILE):
        if not line.startswith("="):
            continue
        city, name, lat, lon, aliases, around, stays, roads = (line[1:].split("|") + [""] * 4)[:8]
        match = AROUND.fullmatch(around)
        assert match, line
        low, high, side = match.groups()
        ring = (float(low or 0), float(high)) if high else DEFAULT_RING
        wanted = [(kind, int(count)) for kind, count in (item.split("*") for item in stays.split(",") if item)]
        landmarks[(city, name)] = Landmark(city, name, float(lat), float(lon), [a for a in aliases.split(",") if a],
                                           ring, side, wanted, roads.split())
    return landmarks


def parse_tickets(text: str) -> List[Tuple[str, str]]:
    """`成人票:60,学生票:30`; a range `418-748` becomes a lowest and a highest ticket."""
    tickets: List[Tuple[str, str]] = []
    for item in filter(None, text.split(",")):
        name, price = item.split(":")
        if "-" in price:
            low, high = price.split("-")
            tickets += [(f"{name}(最低)", low), (f"{name}(最高)", high)]
        else:
            tickets.append((name, price))
    return tickets


def km_between(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    """Great-circle distance in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def jitter(rng: random.Random, lat: float, lon: float, spread: float = 0.02) -> Tuple[str, str]:
    return f"{lat + rng.uniform(-spread, spread):.5f}", f"{lon + rng.uniform(-spread, spread):.5f}"


KM_PER_DEGREE = 111.32
SIDE_BEARINGS = {"": (0.0, 360.0), "N": (-90.0, 90.0), "E": (0.0, 180.0), "S": (90.0, 270.0), "W": (180.0, 360.0)}


def around(rng: random.Random, landmark: Landmark, reach: float = 0.0) -> Tuple[str, str]:
    """A point in the landmark's ring (and on its side), spread evenly over the area;
    ``reach`` narrows the ring to that many km beyond its inner edge."""
    low, high = landmark.ring
    high = min(high, low + reach) if reach else high
    distance = math.sqrt(rng.uniform(low ** 2, high ** 2))
    bearing = math.radians(rng.uniform(*SIDE_BEARINGS[landmark.side]))
    lat = landmark.lat + distance * math.cos(bearing) / KM_PER_DEGREE
    lon = landmark.lon + distance * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(landmark.lat)))
    return f"{lat:.5f}", f"{lon:.5f}"


def on_land(draw: Callable[[], Tuple[str, str]], lakes: Sequence[Landmark]) -> Tuple[str, str]:
    """A point of ``draw`` that is not in one of the lakes (西湖, 玄武湖: landmarks whose
    hotels keep a distance all round), redrawn a few times if it is."""
    for _ in range(20):
        lat, lon = draw()
        if all(km_between((float(lat), float(lon)), (lake.lat, lake.lon)) >= lake.ring[0] for lake in lakes):
            break
    return lat, lon


def phone(rng: random.Random, city: City) -> str:
    if city.area_code == "00852":
        return f"+852 {rng.choice('23')}{rng.randrange(1000000, 9999999)}"
    if city.area_code == "00853":
        return f"+853 28{rng.randrange(100000, 999999)}"
    if not city.area_code:
        return ""
    first = rng.choice("568") if len(city.area_code) == 3 else rng.choice("2345678")
    return f"{city.area_code}-{first}{rng.randrange(1000000, 9999999)}"


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def money(value: float) -> str:
    return str(int(round(value)))


# ---------------------------------------------------------------- districts

def district_rows(cities: Dict[str, City], sights: List[Dict[str, str]]) -> List[Dict[str, str]]:
    """Districts with their short aliases, unless the short form names a city or a sight (崂山)."""
    taken = set(cities) | {sight["name"] for sight in sights}
    rows = []
    for city in cities.values():
        for district in city.districts:
            alias = district.alias if district.alias not in taken else ""
            rows.append({"city": city.name, "name": district.name, "aliases": alias,
                         "lat": f"{district.lat:.4f}", "lon": f"{district.lon:.4f}"})
    return rows


# ---------------------------------------------------------------- hotels

@dataclass
class HotelDraft:
    row: Dict[str, str]
    rooms: List[Dict[str, str]]


def grade_for_stars(stars: int) -> str:
    return {5: "豪华型", 4: "高档型", 3: "舒适型"}.get(stars, "经济型")


def hotel_type_for(city: City, grade: str, rng: random.Random) -> str:
    choices = ["商务"] * 5 + ["精品"] * 2 + ["公寓"] + ["亲子"]
    if city.name in RESORT_CITIES:
        choices += ["度假"] * 5
    if city.name in OLD_TOWN_CITIES and grade in ("经济型", "舒适型"):
        choices += ["民宿"] * 5
    if grade == "豪华型":
        choices = [c for c in choices if c not in ("公寓", "民宿")]
    return rng.choice(choices)


def facilities_for(rng: random.Random, city: City, grade: str, kind: str, breakfast: bool,
                   metro: bool) -> List[str]:
    """A consistent facility list: what the grade and type imply, plus a few extras."""
    have = {"免费WiFi", "空调", "行李寄存"}
    if kind != "民宿":
        have |= {"24小时前台", "电梯"}
    elif rng.random() < 0.5:
        have.add("24小时前台")
    if breakfast or grade in ("高档型", "豪华型") or rng.random() < 0.4:
        have.add("早餐")
    if grade in ("高档型", "豪华型"):
        have |= {"餐厅", "健身房", "会议室", "洗衣服务", "无障碍设施", "无烟房"}
        if grade == "豪华型" or rng.random() < 0.4:
            have.add("游泳池")
    elif rng.random() < 0.6:
        have.add("无烟房")
    have.add("免费停车" if (not metro or kind in ("度假", "民宿")) and rng.random() < 0.7 else "停车场")
    if kind == "亲子":
        have |= {"儿童乐园", "餐厅"}
    if kind == "度假" and rng.random() < 0.6:
        have.add("接机服务")
    if city.name in HOT_SPRING_CITIES and kind == "度假":
        have.add("温泉")
    for extra, chance in (("充电桩", 0.3), ("宠物友好", 0.08), ("洗衣服务", 0.3), ("接机服务", 0.05)):
        if rng.random() < chance:
            have.add(extra)
    if kind == "民宿":
        have.discard("电梯")
    order = ("免费停车", "停车场", "免费WiFi", "早餐", "游泳池", "健身房", "行李寄存", "无烟房", "接机服务",
             "洗衣服务", "会议室", "餐厅", "充电桩", "宠物友好", "儿童乐园", "温泉", "无障碍设施",
             "24小时前台", "电梯", "空调")
    return [item for item in order if item in have]


def nearest_metro(rng: random.Random, city: City, district: District, hint: str = "") -> Tuple[str, str, str]:
    """A station of the district; one named in ``hint`` (the item's name or address) wins."""
    if not city.metro or not district.stations:
        return "", "", ""
    named = [item for item in district.stations if item[0] in hint]
    station, line = named[0] if named else rng.choice(district.stations)
    return station, line, str(rng.randrange(80, 400, 10) if named else rng.randrange(150, 1300, 10))


def hotel_description(rng: random.Random, district: District, address: str, metro: str, kind: str,
                      grade: str, facilities: Sequence[str], landmark: Optional[Tuple[str, float]] = None) -> str:
    where = rng.choice((f"位于{district.name}{address}", f"坐落在{district.name}", f"地处{district.name}核心地段"))
    near = f"，步行可达{metro}地铁站" if metro else ""
    if landmark:
        name, km = landmark
        near = (f"，步行可到{name}" if km <= 1.0 else f"，距{name}约{km:.1f}公里") + near
    feature = {
        "商务": ("适合商务出差", "会议和办公配套齐全", "交通便利，出差首选"),
        "度假": ("适合休闲度假", "环境安静，景观房视野开阔", "度假氛围浓厚"),
        "精品": ("设计感强，房间小而精致", "以在地文化为主题装修", "风格独特，适合拍照"),
        "民宿": ("院落安静，老板热情", "由老宅改造，保留了当地特色", "房间不多，住起来像在家"),
        "公寓": ("带厨房和洗衣机，适合长住", "空间宽敞，适合家庭和长住"),
        "亲子": ("有儿童乐园和亲子房，适合带娃出行", "亲子设施丰富，小朋友很喜欢"),
    }[kind]
    extra = "，设有游泳池和健身房" if "游泳池" in facilities else ""
    return f"{where}{near}，{rng.choice(feature)}{extra}。{grade}{kind}酒店。"


def room_rows(rng: random.Random, hotel_id: str, grade: str, city: City, breakfast: bool,
              count: int) -> List[Dict[str, str]]:
    low, high = GRADE_PRICE[grade]
    factor = {1: 1.2, 2: 1.0, 3: 0.9}[city.tier]
    base = min(high * 0.8, max(low, rng.uniform(low, low + (high - low) * 0.45) * factor))
    types = list(ROOM_TYPES[grade])
    chosen = [types[0]] + rng.sample(types[1:], count - 1)
    rows = []
    area_low, area_high = ROOM_AREA[grade]
    for name, mult, guests, bed in chosen:
        price = min(high, max(low, base * mult))
        price = int(round(price / 10.0)) * 10 - (2 if rng.random() < 0.5 else 0)
        rows.append({
            "hotel_id": hotel_id, "type": name, "price": str(max(low, price)), "max_guests": str(guests),
            "bed": bed, "breakfast": yes(breakfast), "area_m2": str(rng.randint(area_low, area_high) + (10 if "套" in name else 0)),
            "smoking": "no", "rooms_per_day": str(rng.randint(3, 20)),
        })
    return rows


HOTEL_COLUMNS = ("id", "name", "city", "district", "address", "phone", "stars", "grade", "type", "rating",
                 "brand", "facilities", "breakfast_included", "checkin_time", "checkout_time",
                 "metro_station", "metro_line", "metro_distance_m", "lat", "lon", "aliases", "tags",
                 "description", "demo")
ROOM_COLUMNS = ("hotel_id", "type", "price", "max_guests", "bed", "breakfast", "area_m2", "smoking",
                "rooms_per_day")


def landmark_named(texts: Sequence[str], nearby: Sequence[Landmark]) -> Optional[Landmark]:
    """The first landmark of the district named in the texts (address first, then name, tags)."""
    for text in texts:
        for landmark in nearby:
            if any(len(word) >= 2 and word in text for word in landmark.names):
                return landmark
    return None


def landmark_on_road(address: str, nearby: Sequence[Landmark]) -> Optional[Landmark]:
    """The landmark whose own streets the address is on (人民路 in 大理 is the old town's)."""
    return next((landmark for landmark in nearby if any(address.startswith(road) for road in landmark.roads)), None)


def landmark_metro(rng: random.Random, city: City, landmark: Landmark) -> Tuple[str, str, str]:
    """The station by a landmark, or none: a station of its district may be far from it
    (鼓浪屿 has no metro although 思明区 has)."""
    if landmark.name not in OVERRIDE_METRO or not city.metro:
        return "", "", ""
    station, line = OVERRIDE_METRO[landmark.name]
    return station, line, str(rng.randrange(150, 900, 10))


def landmarks_by_district(landmarks: Iterable[Landmark]) -> Dict[Tuple[str, str], List[Landmark]]:
    grouped: Dict[Tuple[str, str], List[Landmark]] = {}
    for landmark in landmarks:
        grouped.setdefault((landmark.city, landmark.district), []).append(landmark)
    return grouped


def other_sights(sights: List[Dict[str, str]], landmarks: Dict[Tuple[str, str], Landmark]
                 ) -> Dict[Tuple[str, str], List[Landmark]]:
    """The sights without public coordinates, where they were placed: a hotel named after
    one (全季酒店(西安骊山路店), 厦门海沧湾公园君庭商务酒店) is placed by it."""
    return landmarks_by_district(
        Landmark(row["city"], row["name"], float(row["lat"]), float(row["lon"]), [], DEFAULT_RING, "", [], [],
                 row["district"], [row["name"], *filter(None, row["aliases"].split("|"))], public=False)
        for row in sights if (row["city"], row["name"]) not in landmarks)


def near_landmark(lat: str, lon: str, landmark: Optional[Landmark]) -> Optional[Tuple[str, float]]:
    """The landmark a hotel was placed by, with its distance in km, for the description; a
    lake's (whose point is the water's middle) counts from its shore."""
    if landmark is None:
        return None
    km = km_between((float(lat), float(lon)), (landmark.lat, landmark.lon))
    return landmark.name, max(0.0, km - landmark.ring[0]) if not landmark.side else km


def known_hotels(cities: Dict[str, City], landmarks: Dict[Tuple[str, str], Landmark],
                 spots: Dict[Tuple[str, str], List[Landmark]]) -> List[HotelDraft]:
    """The hand-written hotels, with their facts kept and the missing ones filled in; one
    that names a sight of its district (鼓浪屿漳州路, 近春熙路) is placed by it."""
    by_district = landmarks_by_district(landmarks.values())
    drafts = []
    for item in load_yaml(KB / "catalogue" / "hotels.yml", "hotels"):
        rng = rng_for("hotel", item["id"])
        city = cities[item["city"]]
        district = city.district(item["district"])
        grade = grade_for_stars(int(item["stars"]))
        tags = list(item.get("tags", []))
        kind = "亲子" if "亲子" in tags else "度假" if ("度假" in tags or city.name in RESORT_CITIES) else "商务"
        if any(word in item["name"] for word in ("客栈", "民宿")):
            kind = "民宿"
        breakfast = bool(item.get("breakfast_included"))
        hint = item["name"] + item["address"] + "".join(tags)
        texts = [item["address"], item["name"], *tags]
        landmark = landmark_named(texts, by_district.get((city.name, district.name), [])) or \
            landmark_named(texts, spots.get((city.name, district.name), []))
        station, line, distance = nearest_metro(rng, city, district, hint)
        if landmark and landmark.public and not any(name in hint for name, _ in district.stations):
            station, line, distance = landmark_metro(rng, city, landmark)  # 王府井 says its station
        facilities = facilities_for(rng, city, grade, kind, breakfast, bool(station))
        lat, lon = jitter(rng, district.lat, district.lon, 0.01)
        if landmark:  # a hotel that names the landmark is close by
            lat, lon = around(rng, landmark, reach=0.8)
        drafts.append(HotelDraft({
            "id": item["id"], "name": item["name"], "city": city.name, "district": district.name,
            "address": item["address"], "phone": phone(rng, city), "stars": str(item["stars"]), "grade": grade,
            "type": kind, "rating": f"{float(item['rating']):.1f}", "brand": item.get("brand", ""),
            "facilities": "|".join(facilities), "breakfast_included": yes(breakfast), "checkin_time": "14:00",
            "checkout_time": "12:00", "metro_station": station, "metro_line": line, "metro_distance_m": distance,
            "lat": lat, "lon": lon, "aliases": "", "tags": "|".join(tags),
            "description": hotel_description(rng, district, item["address"], station, kind, grade, facilities,
                                             near_landmark(lat, lon, landmark)),
            "demo": "yes",
        }, [{
            "hotel_id": item["id"], "type": room["type"], "price": str(room["price"]),
            "max_guests": str(room["max_guests"]), "bed": room.get("bed", ""), "breakfast": yes(breakfast),
            "area_m2": str(rng.randint(*ROOM_AREA[grade]) + (15 if "套" in room["type"] else 0)), "smoking": "no", "rooms_per_day": str(rng.randint(4, 15)),
        } for room in item["rooms"]]))
    return drafts


HAN = re.compile(r"[\u4e00-\u9fff]+")
LANDMARK_SHARE = 0.5  # of a district's generated hotels, placed around one of its landmarks


def hotel_places(city: City, district: District) -> List[str]:
    """Place words a hotel away from the landmarks is named after: its district, roads, stations."""
    places: List[str] = [district.alias or district.name]
    places += [road for road in district.roads if len(road) <= 5]
    places += [station for station, _ in district.stations if station != city.name and len(station) <= 6]
    return [place for place in dict.fromkeys(places) if len(place) >= 2]


def landmark_places(landmark: Landmark, district: District, nearby: Sequence[Landmark]) -> Tuple[List[str], List[str]]:
    """Place words for a hotel by a landmark: its name (or its own short alias: 鸟巢), and
    its streets, else the district's name (a station or road of the district may be far:
    a hotel by 北海公园 is not named after 西直门), unless that names another landmark (a
    hotel by 宋城 is not 杭州西湖店)."""
    names = [word for word in (landmark.name, *landmark.aliases) if 2 <= len(word) <= 5 and HAN.fullmatch(word)]
    streets = [road for road in landmark.roads if len(road) <= 5]
    area = district.alias or district.name
    if landmark.roads or landmark_named([area], [other for other in nearby if other is not landmark]):
        return names, streets or names
    return names, [area]




def generated_hotels(cities: Dict[str, City], taken_names: set, counts: Dict[str, int],
                     landmarks: Dict[Tuple[str, str], Landmark],
                     spots: Dict[Tuple[str, str], List[Landmark]]) -> List[HotelDraft]:
    """Each city's hotels up to its tier's number: first the stays its landmarks ask for,
    then hotels spread over its districts, half of them around a landmark of the district."""
    by_district = landmarks_by_district(landmarks.values())
    drafts = []
    for city in cities.values():
        if not city.covered:
            continue
        plans: List[Tuple[Optional[Landmark], str]] = [
            (landmark, wanted) for landmark in landmarks.values() if landmark.city == city.name
            for wanted, count in landmark.stays for _ in range(count)]
        target = max(HOTELS_PER_TIER[city.tier] - counts.get(city.name, 0), 4)
        plans += [(None, "")] * (target - len(plans))
        for number, (landmark, wanted) in enumerate(plans, start=101):
            hotel_id = f"H-{CITY_CODES[city.name]}-{number}"
            drafts.append(one_hotel(rng_for("hotel", hotel_id), hotel_id, city, taken_names, by_district, spots,
                                    landmark, wanted))
    return drafts


def one_hotel(rng: random.Random, hotel_id: str, city: City, taken_names: set,
              by_district: Dict[Tuple[str, str], List[Landmark]], spots: Dict[Tuple[str, str], List[Landmark]],
              landmark: Optional[Landmark], wanted: str) -> HotelDraft:
    """One hotel; ``landmark`` and ``wanted`` (a type or grade) when a landmark's stays ask for it."""
    weights = [4, 4, 3, 2] if city.tier == 1 else [4, 4, 2, 1]
    grade = wanted if wanted in GRADES else rng.choices(GRADES, weights)[0]
    if wanted == "民宿" and grade in ("高档型", "豪华型"):
        grade = "舒适型"
    if landmark:
        district = city.district(landmark.district)
    else:  # downtown districts (listed first) get more hotels
        district = rng.choices(city.districts, [max(1, 6 - i) for i in range(len(city.districts))])[0]
    nearby = by_district.get((city.name, district.name), [])
    if not landmark and nearby and rng.random() < LANDMARK_SHARE:
        landmark = rng.choice(nearby)
    kind = wanted if wanted and wanted not in GRADES else hotel_type_for(city, grade, rng)
    roads = (landmark.roads if landmark else []) or district.roads
    first, places = landmark_places(landmark, district, nearby) if landmark else ([], hotel_places(city, district))
    name, brand = hotel_name(rng, city, first, places, grade, kind, taken_names)
    if brand and kind == "精品" and grade == "经济型":
        kind = "商务"  # budget chains are not boutique hotels
    stars = GRADE_STARS[grade] if not (grade == "经济型" and rng.random() < 0.5) else 0
    if kind == "民宿":
        stars = 0
    breakfast = grade in ("高档型", "豪华型") and rng.random() < 0.7 or grade != "经济型" and rng.random() < 0.3
    road = next((road for road in roads if road in name), None) or rng.choice(roads)
    address = f"{road}{rng.randint(1, 999)}号"
    while f"{city.name}/{address}" in taken_names:  # one hotel per street number
        address = f"{road}{rng.randint(1, 999)}号"
    taken_names.add(f"{city.name}/{address}")
    # 平江路88号 is by 平江路, a 全季酒店(北京南锣鼓巷店) by 南锣鼓巷
    landmark = landmark or landmark_named([address, name], nearby) or landmark_on_road(address, nearby) \
        or landmark_named([address, name], spots.get((city.name, district.name), []))
    if landmark and landmark.public:
        station, line, distance = landmark_metro(rng, city, landmark)
    else:
        station, line, distance = nearest_metro(rng, city, district, name)
    facilities = facilities_for(rng, city, grade, kind, breakfast, bool(station))
    low, high = GRADE_RATING[grade]
    lakes = [lake for (lake_city, _), lakes in by_district.items() if lake_city == city.name
             for lake in lakes if lake.ring[0] > 0 and not lake.side]
    draw = partial(around, rng, landmark) if landmark else partial(jitter, rng, district.lat, district.lon)
    lat, lon = on_land(draw, lakes)
    near = near_landmark(lat, lon, landmark)
    tags = [kind]
    if near and near[1] <= 1.5:
        tags.append(f"近{near[0]}")
    if station and int(distance) < 600:
        tags.append("近地铁")
    if "游泳池" in facilities:
        tags.append("泳池")
    if kind == "亲子":
        tags.append("家庭")
    draft = HotelDraft({
        "id": hotel_id, "name": name, "city": city.name, "district": district.name, "address": address,
        "phone": phone(rng, city), "stars": str(stars), "grade": grade, "type": kind,
        "rating": f"{rng.uniform(low, high):.1f}", "brand": brand, "facilities": "|".join(facilities),
        "breakfast_included": yes(breakfast), "checkin_time": rng.choice(("14:00", "14:00", "15:00")),
        "checkout_time": "12:00", "metro_station": station, "metro_line": line, "metro_distance_m": distance,
        "lat": lat, "lon": lon, "aliases": "", "tags": "|".join(tags),
        "description": hotel_description(rng, district, address, station, kind, grade, facilities, near),
        "demo": "yes",
    }, [])
    draft.rooms = room_rows(rng, hotel_id, grade, city, breakfast, rng.randint(2, 5))
    return draft


def hotel_name(rng: random.Random, city: City, first: Sequence[str], places: Sequence[str],
               grade: str, kind: str, taken: set) -> Tuple[str, str]:
    """A chain branch (`全季酒店(杭州西湖湖滨店)`) or an independent hotel, never a name in use;
    named after a place of ``first`` (a landmark's names) more often than of ``places``."""
    for attempt in range(200):
        place = rng.choice(first) if first and rng.random() < 0.6 else rng.choice(places)
        where = place if place.startswith(city.name) else city.name + place
        if kind not in ("民宿", "亲子") and rng.random() < 0.55:
            brand = rng.choice(BRANDS[grade])
            branch = where if attempt < 60 else where + rng.choice(("东", "西", "南", "北", "中心"))
            name = f"{brand}({branch}店)"
            short_brand = brand.replace("大酒店", "").replace("国际酒店", "").replace("酒店", "")
        else:
            suffixes = [word for word in SUFFIX_BY_TYPE[kind]
                        if not (grade in ("高档型", "豪华型") and word in ("宾馆", "客栈", "小院"))
                        and not (grade == "经济型" and word in ("大酒店", "度假村"))]
            suffix = rng.choice(suffixes or ["酒店"])
            flavour = rng.choice(FLAVOURS)
            patterns = [f"{where}{flavour}{suffix}", f"{city.name}{flavour}{suffix}"]
            if kind != "民宿":
                patterns.append(f"{flavour}{suffix}({where}店)")
            name = rng.choice(patterns)
            short_brand = ""
        if name not in taken:
            taken.add(name)
            return name, short_brand
    raise RuntimeError(f"no free hotel name in {city.name}")


# ---------------------------------------------------------------- sights

SIGHT_COLUMNS = ("id", "name", "city", "district", "address", "type", "tickets", "free", "phone",
                 "opening_hours", "visit_hours", "rating", "suitable_for", "metro_station", "metro_line",
                 "metro_distance_m", "lat", "lon", "aliases", "description", "demo")


def sight_rows(cities: Dict[str, City], facts: List[SightFact],
               landmarks: Dict[Tuple[str, str], Landmark]) -> List[Dict[str, str]]:
    """Every attraction, then the sights of the sights file, then invented ones; a landmark's
    district is filled in from its row."""
    attractions = load_yaml(KB / "attractions.yml", "attractions")
    aliases = {(item["city"], item["name"]): [str(a) for a in item.get("aliases", [])] for item in attractions}
    by_name = {(fact.city, fact.name): fact for fact in facts if fact.tickets or fact.hours}
    ordered: List[SightFact] = []
    seen: set = set()
    for item in attractions:  # every attraction, in the knowledge base's order
        key = (item["city"], item["name"])
        fact = by_name.get(key) or SightFact(item["city"], item["name"], cities[item["city"]].districts[0].name,
                                             guess_type(item["name"]), [], "", "", [], "", True)
        ordered.append(fact)
        seen.add(item["name"])
    for fact in facts:
        if fact.name not in seen:
            ordered.append(fact)
            seen.add(fact.name)
    ordered += invented_sights(cities, ordered, seen)
    counters: Dict[str, int] = {}
    rows = []
    for fact in ordered:
        city = cities[fact.city]
        code = CITY_CODES.get(city.name) or "X" + str(list(cities).index(city.name))
        counters[code] = counters.get(code, 0) + 1
        sight_id = f"S-{code}-{counters[code]:03d}"
        landmark = landmarks.get((fact.city, fact.name))
        rows.append(one_sight(rng_for("sight", city.name, fact.name), sight_id, city, fact,
                              aliases.get((fact.city, fact.name), []), landmark))
        if landmark:
            landmark.district = fact.district
            landmark.names = [fact.name] + [alias for alias in rows[-1]["aliases"].split("|") if alias]
    unplaced = sorted(name for (_, name), landmark in landmarks.items() if not landmark.district)
    if unplaced:
        raise SystemExit(f"landmarks that are no sight: {unplaced}")
    return rows


TYPE_WORDS = (  # the first group whose word is in a sight's name gives its type
    ("灯光秀 观光厅 摩天轮 夜游 电视塔 观景台", "夜景"),
    ("动物园 海洋馆 海底世界 野生动物 熊猫 海洋世界 虎林园", "动物园"),
    ("博物 纪念馆 美术馆 科技馆 展览馆 艺术馆 陈列馆 天文馆", "博物馆"),
    ("寺 庙 禅 观音 道观 大佛 清真", "寺庙"),
    ("乐园 欢乐 方特 世界之窗 影视城 影视基地 嬉戏谷 马戏 民俗村", "主题乐园"),
    ("公园 植物园 园博 世博园 湿地", "公园"),
    ("古镇 古城 水乡 古村", "古镇"),
    ("步行街 老街 街区 巷 坊 胡同 创意 商业街 文创", "街区"),
    ("商圈 太古里 万象城 免税城 广场", "商圈"),
    ("海滩 沙滩 海水浴场 湾 岛", "海滨"),
    ("墓 陵 楼 阁 塔 故居 遗址 旧址 城墙 民居 炮台 宫 府 祠 会馆 关 桥 书院", "历史古迹"),
    ("山 峰 峡 谷 瀑布 湖 泉 溪 洞 岩 江", "山水"),
)
FREE_WORDS = ("大桥", "广场", "江滩", "绿道", "大学", "步行街", "老街", "街", "巷", "湖", "海滩", "滨江", "码头",
              "堤", "桥", "村", "灯光秀", "运河", "残雪", "奥体", "中心")


def guess_type(name: str, default: str = "历史古迹") -> str:
    if name.endswith(("路", "街", "巷")):
        return "街区"
    for words, kind in TYPE_WORDS:
        if any(word in name for word in words.split()):
            return kind
    return default


def invented_sights(cities: Dict[str, City], ordered: List[SightFact], seen: set) -> List[SightFact]:
    """Plausible local sights (parks, museums, streets, temples) until the catalogue has enough."""
    covered = [city for city in cities.values() if city.covered]
    per_city = {city.name: 0 for city in covered}
    for fact in ordered:
        if fact.city in per_city:
            per_city[fact.city] += 1
    deficit = MIN_SIGHTS + 30 - len(ordered)
    invented: List[SightFact] = []
    round_number = 0
    while len(invented) < deficit:
        round_number += 1
        for city in sorted(covered, key=lambda c: (per_city[c.name], list(cities).index(c.name))):
            if len(invented) >= deficit:
                break
            new = invent_sight(rng_for("invented", city.name, round_number), city, seen)
            if new:
                invented.append(new)
                per_city[city.name] += 1
    return invented


def invent_sight(rng: random.Random, city: City, seen: set) -> Optional[SightFact]:
    for _ in range(40):
        kind = rng.choice(("公园", "公园", "博物馆", "博物馆", "街区", "寺庙", "商圈", "夜景"))
        district = rng.choice(city.districts)
        pattern = rng.choice(INVENTED_SIGHTS[kind])
        name = pattern.format(d=district.alias or district.name, c=city.name, r=rng.choice(district.roads))
        if name not in seen:
            seen.add(name)
            return SightFact(city.name, name, district.name, kind, [], "", "", [], "", False)
    return None


def one_sight(rng: random.Random, sight_id: str, city: City, fact: SightFact,
              aliases: List[str], landmark: Optional[Landmark] = None) -> Dict[str, str]:
    district = city.district(fact.district)
    tickets = fact.tickets
    if not fact.hours:  # a sight known by name only: facts typical of its type
        chance, low, high = SIGHT_TICKETS[fact.type]
        if rng.random() < chance and not any(word in fact.name for word in FREE_WORDS):
            adult = int(round(rng.uniform(low, high) / 5.0)) * 5
            tickets = [("成人票", str(adult))]
            if adult >= 20:
                tickets.append(("学生票", str(adult // 2)))
    station, line, distance = "", "", ""
    if fact.name in OVERRIDE_METRO and city.metro:
        station, line = OVERRIDE_METRO[fact.name]
        distance = str(rng.randrange(150, 900, 10))
    elif fact.type not in ("山水", "海滨") and not landmark:  # a landmark away from the metro has none
        station, line, distance = nearest_metro(rng, city, district)
    roads = district.roads or [""]
    road = rng.choice(roads)
    address = f"{road}{rng.randint(1, 400)}号" if road else f"{district.name}{fact.name}景区"
    suits = fact.suits or sorted(rng.sample(SIGHT_SUITS[fact.type], min(2, len(SIGHT_SUITS[fact.type]))),
                                 key=SUITS_ORDER.index)
    rating = rng.uniform(4.5, 4.9) if fact.hours else rng.uniform(4.2, 4.8) if fact.real else rng.uniform(3.8, 4.6)
    spread = 0.05 if fact.type == "山水" else 0.02
    lat, lon = jitter(rng, district.lat, district.lon, spread)
    if landmark:  # the draw above is kept so that the other facts stay as they were
        lat, lon = f"{landmark.lat:.5f}", f"{landmark.lon:.5f}"
        aliases = aliases + [alias for alias in landmark.aliases if alias not in aliases]
    description = fact.description or f"{city.name}{district.name}的{fact.type}类景点，{rng.choice(SIGHT_BLURB[fact.type])}。"
    return {
        "id": sight_id, "name": fact.name, "city": city.name, "district": district.name, "address": address,
        "type": fact.type, "tickets": "|".join(f"{name}:{price}" for name, price in tickets),
        "free": yes(not tickets), "phone": phone(rng, city),
        "opening_hours": fact.hours or rng.choice(SIGHT_HOURS[fact.type]),
        "visit_hours": fact.visit or SIGHT_VISIT[fact.type], "rating": f"{rating:.1f}",
        "suitable_for": "|".join(suits), "metro_station": station, "metro_line": line,
        "metro_distance_m": distance, "lat": lat, "lon": lon, "aliases": "|".join(aliases),
        "description": description, "demo": "yes",
    }


# ---------------------------------------------------------------- tours

TOUR_EXCLUDES = ("不含往返大交通", "不含个人消费和自费项目", "不含单房差", "不含旅游意外险（建议购买）",
                 "不含景区内小交通（观光车、索道）")


def tour_rows(cities: Dict[str, City], sights: List[Dict[str, str]]) -> List[Dict[str, Any]]:
    by_city: Dict[str, List[Dict[str, str]]] = {}
    for sight in sights:
        by_city.setdefault(sight["city"], []).append(sight)
    tours = []
    for item in load_yaml(KB / "catalogue" / "tours.yml", "tours"):
        rng = rng_for("tour", item["id"])
        tour = dict(item)
        tour["excludes"] = excludes_for(rng, int(item["days"]), item["includes"])
        tour["itinerary"] = itinerary_for(rng, list(item["attractions"]), int(item["days"]))
        tour["aliases"] = []
        tour["demo"] = True
        tours.append(tour)
    for city in cities.values():
        top = [s["name"] for s in by_city.get(city.name, []) if s["type"] not in ("商圈",)]
        if not city.covered or len(top) < 2:
            continue
        plans = [1, 2] if city.tier == 3 else [1, 3] if city.tier == 2 else [1, 2, 4]
        for number, days in enumerate(plans, start=101):
            tour_id = f"T-{CITY_CODES[city.name]}-{number}"
            tours.append(generated_tour(rng_for("tour", tour_id), tour_id, city, top, days, cities))
    return tours


def excludes_for(rng: random.Random, days: int, includes: str) -> str:
    items = ["不含往返大交通", "不含个人消费和自费项目"]
    if days > 1 and "单房差" not in includes:
        items.append("不含单房差")
    if "午餐" not in includes and "正" not in includes:
        items.append("不含餐食")
    items.append(rng.choice(("不含旅游意外险（建议购买）", "不含景区内小交通（观光车、索道）")))
    return "、".join(items)


def itinerary_for(rng: random.Random, attractions: List[str], days: int) -> List[str]:
    lines = []
    per_day = max(1, math.ceil(len(attractions) / days))
    for day in range(days):
        todays = attractions[day * per_day:(day + 1) * per_day]
        if todays:
            text = "、".join(todays)
            lines.append(f"第{day + 1}天：{rng.choice(('上午集合出发，游览', '早餐后前往', '全天游览'))}{text}"
                         f"{rng.choice(('，傍晚返回酒店', '，晚上自由活动', '，品尝当地美食'))}")
        elif day == days - 1:
            lines.append(f"第{day + 1}天：早餐后自由活动，按时送站，结束愉快行程")
        else:
            lines.append(f"第{day + 1}天：自由活动，可自选周边景点或逛街购物")
    return lines


def generated_tour(rng: random.Random, tour_id: str, city: City, sights: List[str], days: int,
                   cities: Dict[str, City]) -> Dict[str, Any]:
    count = min(len(sights), 2 if days == 1 else days + 2)
    chosen = sights[:count] if days > 1 else rng.sample(sights[:6], count)
    hub = min((cities[name] for name in HUBS if name != city.name),
              key=lambda other: km_between(city.centre, other.centre)).name
    departs = city.name if days <= 2 or city.name in HUBS or rng.random() < 0.5 else hub
    short = "".join(chosen[:2]) if len("".join(chosen[:2])) <= 10 else chosen[0]
    if days == 1:
        prefix = "" if short.startswith(city.name) else city.name
        name = f"{prefix}{short}{rng.choice(('一日游', '一日游（纯玩）', '精华一日游'))}"
        price = rng.randrange(168, 498, 10)
    else:
        style = rng.choice(("经典", "深度", "休闲", "精华"))
        word = {2: "两", 3: "三", 4: "四", 5: "五"}.get(days, str(days))
        origin = "" if departs == city.name else f"{departs}出发"
        name = f"{origin}{city.name}{style}{word}日游" + rng.choice(("", "（纯玩无购物）", "（小团）"))
        price = rng.randrange(420, 760, 20) * days + (1200 if departs != city.name else 0)
    hotel = f"含{days - 1}晚{rng.choice(('舒适型', '高档型'))}酒店（含早）、" if days > 1 else ""
    meals = "午餐、" if days == 1 else f"{days - 1}早{days - 1}正、"
    traffic = f"{departs}往返交通、" if departs != city.name else ""
    includes = f"含{traffic}{hotel}行程内景点首道门票、{meals}中文导游、空调旅游车".replace("含含", "含")
    weekdays = [1, 2, 3, 4, 5, 6, 7] if days <= 2 else sorted(rng.sample(range(1, 8), rng.randint(3, 5)))
    return {
        "id": tour_id, "name": name, "destination": city.name, "departs_from": departs, "days": days,
        "price": price, "child_price": int(round(price * 0.7 / 10.0)) * 10, "departure_weekdays": weekdays,
        "attractions": chosen, "highlights": f"游览{'、'.join(chosen[:3])}，{rng.choice(('专业导游讲解', '小团出行不赶路', '品尝地道美食', '含经典门票'))}",
        "includes": includes, "excludes": excludes_for(rng, days, includes),
        "itinerary": itinerary_for(rng, chosen, days),
        "group_size": rng.choice(("2-20人", "2-30人", "6-16人", "10-35人")), "aliases": [], "demo": True,
    }


# ---------------------------------------------------------------- services

SERVICE_COLUMNS = ("code", "mode", "operator", "origin", "destination", "from_station", "to_station",
                   "from_terminal", "to_terminal", "depart", "arrive", "duration_minutes", "weekdays", "fares",
                   "demo")
NO_HIGH_SPEED = {"拉萨", "敦煌"}
D_ONLY = {"丽江", "大理", "西双版纳"}
ISLANDS = {"海口": "海南", "三亚": "海南"}


def minutes(hhmm: str) -> int:
    hours, mins = hhmm[:5].split(":")
    return int(hours) * 60 + int(mins) + (1440 if hhmm.endswith("+1") else 0)


def clock(total: int) -> str:
    day, rest = divmod(total, 1440)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text + ("+1" if day == 1 else "") if day <= 1 else ""


def seats_for(rng: random.Random, fare: str) -> int:
    ranges = {"二等座": (300, 600), "一等座": (40, 100), "商务座": (5, 20), "硬座": (200, 500), "硬卧": (100, 300),
              "软卧": (24, 60), "二等卧": (80, 160), "一等卧": (24, 48), "经济舱": (120, 180),
              "公务舱": (8, 16), "头等舱": (4, 12), "普通座": (35, 50), "标准座": (35, 50)}
    low, high = ranges.get(fare, (20, 60))
    return rng.randint(low, high)


def airport_parts(city: City, station: str) -> Tuple[str, str]:
    """`上海虹桥机场T2` -> (`上海虹桥国际机场`, `T2`); other stations are kept as they are."""
    match = re.fullmatch(r"(.+?)机场(T\d)?", station)
    if not match:
        return station, ""
    for name, _terminals in city.airports:
        if name.startswith(match.group(1)):
            return name, match.group(2) or ""
    raise KeyError(f"unknown airport {station}")


def known_services(cities: Dict[str, City]) -> List[Dict[str, str]]:
    rows = []
    for item in load_yaml(KB / "catalogue" / "transport.yml", "services"):
        rng = rng_for("service", item["code"])
        origin, destination = cities[item["from"]], cities[item["to"]]
        from_station, from_terminal = airport_parts(origin, item["from_station"])
        to_station, to_terminal = airport_parts(destination, item["to_station"])
        fares = [(name, str(price), seats_for(rng, name)) for name, price in item["fares"].items()]
        rows.append(service_row(item["code"], item["mode"], item["operator"], origin.name, destination.name,
                                from_station, to_station, from_terminal, to_terminal, item["depart"],
                                item["arrive"], item["weekdays"], fares))
    return rows


def service_row(code: str, mode: str, operator: str, origin: str, destination: str, from_station: str,
                to_station: str, from_terminal: str, to_terminal: str, depart: str, arrive: str,
                weekdays: Sequence[int], fares: Sequence[Tuple[str, str, int]]) -> Dict[str, str]:
    return {
        "code": code, "mode": mode, "operator": operator, "origin": origin, "destination": destination,
        "from_station": from_station, "to_station": to_station, "from_terminal": from_terminal,
        "to_terminal": to_terminal, "depart": depart, "arrive": arrive,
        "duration_minutes": str(minutes(arrive) - minutes(depart)),
        "weekdays": "".join(str(day) for day in weekdays),
        "fares": "|".join(f"{name}:{price}:{seats}" for name, price, seats in fares), "demo": "yes",
    }


def city_pairs(cities: Dict[str, City]) -> List[Tuple[str, str]]:
    """Busy corridors (all hub pairs) plus each city's nearest neighbours and a hub link."""
    covered = [city for city in cities.values() if city.covered]
    pairs = set()
    for i, a in enumerate(HUBS):
        for b in HUBS[i + 1:]:
            pairs.add((a, b))
    for city in covered:
        others = sorted((c for c in covered if c.name != city.name),
                        key=lambda c: (km_between(city.centre, c.centre), c.name))
        for other in others[:2]:
            pairs.add(tuple(sorted((city.name, other.name), key=list(cities).index)))  # type: ignore[arg-type]
        hub = min((c for c in covered if c.name in HUBS and c.name != city.name),
                  key=lambda c: (km_between(city.centre, c.centre), c.name))
        pairs.add(tuple(sorted((city.name, hub.name), key=list(cities).index)))  # type: ignore[arg-type]
        if city.airports and city.tier <= 2:
            for far_hub in ("北京", "上海"):
                if far_hub != city.name:
                    pairs.add(tuple(sorted((city.name, far_hub), key=list(cities).index)))  # type: ignore[arg-type]
    order = list(cities)
    return sorted(pairs, key=lambda pair: (order.index(pair[0]), order.index(pair[1])))


def rail_possible(a: City, b: City, km: float) -> bool:
    if not a.rail or not b.rail:
        return False
    if (a.name in ISLANDS) != (b.name in ISLANDS):
        return False
    if "香港" in (a.name, b.name) and km > 900:
        return False
    return km * 1.2 <= 3600


class CodeBook:
    """Hands out unused service codes, per prefix, skipping the hand-written ones."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.next: Dict[str, int] = {}

    def take(self, prefix: str, start: int, width: int = 0) -> str:
        number = self.next.get(prefix, start)
        while True:
            code = f"{prefix}{number:0{width}d}" if width else f"{prefix}{number}"
            number += 1
            if code not in self.taken:
                self.taken.add(code)
                self.next[prefix] = number
                return code


def generated_services(cities: Dict[str, City], book: CodeBook) -> Tuple[List[Dict[str, str]], int]:
    rows: List[Dict[str, str]] = []
    pairs = city_pairs(cities)
    for a_name, b_name in pairs:
        a, b = cities[a_name], cities[b_name]
        km = km_between(a.centre, b.centre)
        for origin, destination in ((a, b), (b, a)):
            rng = rng_for("route", origin.name, destination.name)
            busy = origin.name in HUBS and destination.name in HUBS
            if rail_possible(origin, destination, km):
                rows += trains(rng, book, origin, destination, km, busy)
            if origin.airports and destination.airports and km >= 450:
                rows += flights(rng, book, origin, destination, km, busy)
            if km * 1.3 < 350 and origin.bus_station and destination.bus_station and \
                    (origin.name in ISLANDS) == (destination.name in ISLANDS):
                rows += buses(rng, book, origin, destination, km)
    return rows, len(pairs)


def trains(rng: random.Random, book: CodeBook, origin: City, destination: City, km: float,
           busy: bool) -> List[Dict[str, str]]:
    rail_km = km * 1.2
    rows = []
    no_hsr = origin.name in NO_HIGH_SPEED or destination.name in NO_HIGH_SPEED
    d_only = origin.name in D_ONLY or destination.name in D_ONLY
    fast = "" if no_hsr else "D" if d_only else "G"
    fast_count = 0
    if fast:
        speed = 200 if fast == "D" else rng.uniform(260, 300)
        duration = int(rail_km / speed * 60 + 12 + rail_km / 120 * 2.5)
        if duration <= 11 * 60:
            fast_count = (rng.randint(5, 8) if busy else rng.randint(3, 5)) if duration < 8 * 60 else 2
            earliest, latest = 6 * 60 + 30, min(21 * 60, 24 * 60 - duration - 10)
            for depart in spread_times(rng, fast_count, earliest, max(earliest + 60, latest)):
                own = duration + rng.randint(-duration // 15, duration // 8 + 3)  # more or fewer stops
                price2 = rail_km * (0.42 if fast == "G" else 0.31)
                fares = [("二等座", half_yuan(price2), seats_for(rng, "二等座")),
                         ("一等座", half_yuan(price2 * 1.6), seats_for(rng, "一等座"))]
                if fast == "G" and rng.random() < 0.8:
                    fares.append(("商务座", half_yuan(price2 * 3.15), seats_for(rng, "商务座")))
                code = book.take(fast, 1001 if fast == "G" else 3001)
                rows.append(service_row(code, "train", "中国铁路", origin.name, destination.name, origin.rail[0],
                                        destination.rail[0], "", "", clock(depart), clock(depart + own),
                                        range(1, 8), fares))
    if rail_km >= 250 and (not fast_count or rng.random() < 0.6):
        duration = int(rail_km / 72 * 60 + 30)
        if duration < 40 * 60:
            depart = rng.choice((rng.randint(17, 22) * 60, rng.randint(7, 12) * 60)) + rng.choice((0, 15, 28, 40, 52))
            arrive = clock(depart + duration)
            if arrive:
                fares = [("硬座", money(rail_km * 0.12 + 5), seats_for(rng, "硬座")),
                         ("硬卧", money(rail_km * 0.21 + 30), seats_for(rng, "硬卧")),
                         ("软卧", money(rail_km * 0.33 + 50), seats_for(rng, "软卧"))]
                code = book.take(rng.choice(("K", "Z", "T")) if rail_km > 1200 else "K", 101)
                rows.append(service_row(code, "train", "中国铁路", origin.name, destination.name, origin.rail[-1],
                                        destination.rail[-1], "", "", clock(depart), arrive, range(1, 8), fares))
    return rows


def half_yuan(value: float) -> str:
    """Rail fares are whole or half yuan: 553, 139.5."""
    halves = int(round(value * 2))
    return str(halves // 2) + (".5" if halves % 2 else "")


def spread_times(rng: random.Random, count: int, earliest: int, latest: int) -> List[int]:
    step = (latest - earliest) / max(count, 1)
    times = [int(earliest + step * i + rng.uniform(0, step * 0.6)) for i in range(count)]
    return sorted({t - t % 5 for t in times})


def flights(rng: random.Random, book: CodeBook, origin: City, destination: City, km: float,
            busy: bool) -> List[Dict[str, str]]:
    carriers = list(dict.fromkeys(HOME_AIRLINES.get(origin.name, ()) + HOME_AIRLINES.get(destination.name, ())
                                  + ("CA", "MU", "CZ")))
    count = rng.randint(4, 6) if busy else rng.randint(2, 3)
    duration = int(km / 780 * 60 + 40)
    rows = []
    for depart in spread_times(rng, count, 7 * 60, 21 * 60 + 30):
        airline = rng.choice(carriers)
        from_airport = rng.choice(origin.airports)
        to_airport = rng.choice(destination.airports)
        own = duration + rng.choice((0, 5, 10, 15))
        economy = max(400, int(round((km * 0.75 + 180) / 10.0)) * 10)
        fares = [("经济舱", str(economy), seats_for(rng, "经济舱")),
                 ("公务舱", str(int(round(economy * 3.5 / 10.0)) * 10), seats_for(rng, "公务舱"))]
        if busy and rng.random() < 0.4:
            fares.append(("头等舱", str(int(round(economy * 5 / 10.0)) * 10), seats_for(rng, "头等舱")))
        code = book.take(airline, rng.randrange(1001, 8999), 4)
        rows.append(service_row(code, "flight", AIRLINES[airline], origin.name, destination.name, from_airport[0],
                                to_airport[0], terminal(from_airport, airline), terminal(to_airport, airline),
                                clock(depart), clock(depart + own), range(1, 8), fares))
    return rows


def terminal(airport: Tuple[str, List[str]], airline: str) -> str:
    name, terminals = airport
    if not terminals:
        return ""
    rules = AIRLINE_TERMINALS.get(name, {})
    chosen = rules.get(airline, rules.get("", terminals[-1]))
    return chosen if chosen in terminals else terminals[-1]


def buses(rng: random.Random, book: CodeBook, origin: City, destination: City, km: float) -> List[Dict[str, str]]:
    road_km = km * 1.3
    duration = int(road_km / 75 * 60 + 25)
    operator = f"{origin.name}{rng.choice(('长途客运', '交运快客', '城际巴士'))}"
    prefix = f"{CITY_CODES[origin.name]}{CITY_CODES[destination.name]}-"
    rows = []
    for depart in spread_times(rng, rng.randint(3, 5), 7 * 60, 18 * 60):
        fares = [("普通座", money(road_km * 0.4 + 10), seats_for(rng, "普通座"))]
        rows.append(service_row(book.take(prefix, 11, 2), "bus", operator, origin.name, destination.name,
                                origin.bus_station, destination.bus_station, "", "", clock(depart),
                                clock(depart + duration), range(1, 8), fares))
    return rows


# ---------------------------------------------------------------- scale copies and output

def scaled(rows: List[Dict[str, str]], copies: int, key: str, renames: Sequence[str]) -> List[Dict[str, str]]:
    """Copies 2..N of the rows with new ids/names, for benchmarks at N times the size."""
    out = list(rows)
    for copy in range(2, copies + 1):
        for row in rows:
            clone = dict(row)
            clone[key] = f"{row[key]}-{copy}"
            for column in renames:
                clone[column] = f"{row[column]}·{copy}号"
            out.append(clone)
    return out


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def write_tours(path: Path, tours: List[Dict[str, Any]]) -> None:
    header = "# 演示旅游产品（demo: true，虚构）。由 scripts/generate_demo_catalogue.py 生成，请勿手改。\n"
    body = yaml.safe_dump({"tours": tours}, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(header + body, encoding="utf-8")


def check_cities(cities: Dict[str, City]) -> None:
    """Every city must be a destination of the knowledge base."""
    names = {item["name"] for item in load_yaml(KB / "destinations.yml", "destinations")}
    unknown = sorted(set(cities) - names)
    if unknown:
        raise SystemExit(f"cities missing from destinations.yml: {unknown}")


def generate(out: Path, scale: int = 1) -> Dict[str, int]:
    """Write the six catalogue files into ``out``; returns the row counts."""
    cities = parse_cities()
    facts = parse_sights(cities)
    landmarks = parse_landmarks()
    check_cities(cities)
    out.mkdir(parents=True, exist_ok=True)

    sights = sight_rows(cities, facts, landmarks)
    spots = other_sights(sights, landmarks)
    hotels = known_hotels(cities, landmarks, spots)
    taken = {draft.row["name"] for draft in hotels} | {f"{d.row['city']}/{d.row['address']}" for d in hotels}
    counts: Dict[str, int] = {}
    for draft in hotels:
        counts[draft.row["city"]] = counts.get(draft.row["city"], 0) + 1
    hotels += generated_hotels(cities, taken, counts, landmarks, spots)
    hotel_rows = [draft.row for draft in hotels]
    rooms = [room for draft in hotels for room in draft.rooms]
    tours = tour_rows(cities, sights)
    known = known_services(cities)
    generated, pair_count = generated_services(cities, CodeBook(row["code"] for row in known))
    services = known + generated

    write_csv(out / "districts.csv", ("city", "name", "aliases", "lat", "lon"), district_rows(cities, sights))
    write_csv(out / "hotels.csv", HOTEL_COLUMNS, scaled(hotel_rows, scale, "id", ("name",)))
    room_copies = list(rooms)
    for copy in range(2, scale + 1):
        room_copies += [dict(room, hotel_id=f"{room['hotel_id']}-{copy}") for room in rooms]
    write_csv(out / "rooms.csv", ROOM_COLUMNS, room_copies)
    write_csv(out / "sights.csv", SIGHT_COLUMNS, scaled(sights, scale, "id", ("name",)))
    write_tours(out / "tours.yml", tours)
    write_csv(out / "services.csv", SERVICE_COLUMNS, scaled(services, scale, "code", ()))
    return {"cities": sum(city.covered for city in cities.values()), "hotels": len(hotel_rows) * scale,
            "rooms": len(room_copies), "sights": len(sights) * scale, "tours": len(tours),
            "services": len(services) * scale, "pairs": pair_count}


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default: the demo folder)")
    parser.add_argument("--scale", type=int, default=1, help="N copies of hotels, sights and services")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    counts = generate(args.out, args.scale)
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    print(f"wrote {args.out}: {summary}")  # noqa: T201 - a command-line script's result


if __name__ == "__main__":
    main()
