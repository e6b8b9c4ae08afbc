"""The dialogue runner (bot/dialogue_eval): its checks on canned replies, and one live replay.

Replies are judged against the real domain.yml; catalogue facts come from a small catalogue
built here from the facade's own value types (bot.catalogue.items), handed to the judge in
place of the database facade (the runner's own unit tests only).
"""
from __future__ import annotations

import re
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
import yaml

from bot.catalogue.items import (
    Fare, Hotel, Metro, NameMatch, Room, Service, Sight, Tour,
)
from bot.dialogue_eval import facts
from bot.dialogue_eval.checks import CONTRADICTION, LOOP, REASK, Judge
from bot.dialogue_eval.replies import DomainReader, Reply, slots_of
from bot.dialogue_eval.runner import DialogueResult, TurnResult, render, replay, summary
from bot.dialogue_eval.scripts import Dialogue, ScriptError, load_file, load_files, parse_dialogue
from bot.text import to_traditional
from tests.conftest import ROOT, rasa_api

KUANZHAI = Sight(id="s-kz", name="宽窄巷子", city="成都", district="青羊区", address="青羊区长顺上街127号",
                 type="街区", free=True, opening_hours="全天开放", visit_hours=(2, 3), rating=4.5,
                 suitable_for=("朋友", "情侣"), metro=Metro("宽窄巷子站", "4号线"), lat=30.6695, lon=104.0560,
                 description="成都保存最完整的清代古街区，由宽巷子、窄巷子和井巷子组成。")
PANDA = Sight(id="s-panda", name="成都大熊猫繁育研究基地", city="成都", district="成华区", address="熊猫大道1375号",
              type="动物园", tickets=(("成人票", Decimal("55")), ("学生票", Decimal("27.5"))),
              opening_hours="07:30-18:00（17:00停止入园）", visit_hours=(3, 4), rating=4.8,
              lat=30.7350, lon=104.1450, phone="028-83510033")
QIYUN = Hotel(id="h-qiyun", name="成都宽窄巷子栖云酒店", city="成都", district="青羊区", address="青羊区金河路59号",
              rooms=(Room("大床房", Decimal("458"), 2, "1.8米大床"), Room("双床房", Decimal("498"), 2, breakfast=True)),
              phone="028-86001234", stars=4, rating=4.6, facilities=("停车场", "行李寄存", "免费WiFi"),
              checkin_time="14:00", checkout_time="12:00", metro=Metro("宽窄巷子站", "4号线", 400),
              lat=30.6680, lon=104.0530)
LUXE = Hotel(id="h-luxe", name="成都春熙路锦华大酒店", city="成都", district="锦江区", address="锦江区春熙路8号",
             rooms=(Room("豪华大床房", Decimal("1680"), 2),), stars=5, rating=4.8,
             facilities=("游泳池", "健身房", "停车场", "早餐"), breakfast_included=True, lat=30.6570, lon=104.0800)
BUND = Hotel(id="h-bund", name="上海外滩如家酒店", city="上海", district="黄浦区", address="黄浦区南京东路100号",
             rooms=(Room("大床房", Decimal("399"), 2),), stars=0, grade="经济型", rating=4.2)
TOUR_SZ = Tour(id="t-sz", name="苏州园林一日游", destination="苏州", departs_from="上海", days=1,
               price=Decimal("268"), departure_weekdays=(6, 7), includes="往返空调大巴、景点首道门票、导游服务",
               excludes="午餐及个人消费", itinerary=("上午拙政园，下午狮子林与平江路",))
G7 = Service(code="G7", mode="train", operator="中国铁路", origin="北京", destination="上海",
             from_station="北京南站", to_station="上海虹桥站", depart="19:00", arrive="23:38",
             duration_minutes=278, weekdays=(1, 2, 3, 4, 5, 6, 7),
             fares=(Fare("二等座", Decimal("553"), 500), Fare("一等座", Decimal("933"), 80)))
MU = Service(code="MU5101", mode="flight", operator="东方航空", origin="上海", destination="北京",
             from_station="上海虹桥国际机场", to_station="北京首都国际机场", depart="08:00", arrive="10:15",
             duration_minutes=135, weekdays=(1, 2, 3, 4, 5), fares=(Fare("经济舱", Decimal("1240"), 150),),
             from_terminal="T2", to_terminal="T2")
ITEMS: Tuple[Any, ...] = (KUANZHAI, PANDA, QIYUN, LUXE, BUND, TOUR_SZ, G7, MU)


class SmallCatalogue:
    """The facade's read methods over the values above (exact names and codes only)."""

    def _entries(self) -> List[Tuple[str, str, str]]:
        return [(facts.kind_of(i), facts.key_of(i)[1], facts.label(i)) for i in ITEMS]

    def hotel(self, hotel_id: str) -> Optional[Hotel]:
        return next((i for i in ITEMS if isinstance(i, Hotel) and i.id == hotel_id), None)

    def sight(self, sight_id: str) -> Optional[Sight]:
        return next((i for i in ITEMS if isinstance(i, Sight) and i.id == sight_id), None)

    def tour(self, tour_id: str) -> Optional[Tour]:
        return next((i for i in ITEMS if isinstance(i, Tour) and i.id == tour_id), None)

    def service(self, code: str) -> Optional[Service]:
        return next((i for i in ITEMS if isinstance(i, Service) and i.code == code), None)

    def named_in(self, text: str, kinds: Sequence[str] = (), city: Optional[str] = None) -> List[NameMatch]:
        found = []
        for kind, item_id, name in self._entries():
            for match in re.finditer(re.escape(name), text):
                found.append(NameMatch(kind, item_id, name, match.start(), match.end(), True))
        return sorted(found, key=lambda m: (m.start, -(m.end - m.start)))

    def landmark(self, name: str, city: Optional[str] = None) -> Optional[Sight]:
        return next((i for i in ITEMS if isinstance(i, Sight) and i.name == name), None)

    def _near(self, kind: type, lat: float, lon: float, city: str, limit: int) -> List[Tuple[Any, float]]:
        close = [(i, facts.distance_km((lat, lon), (i.lat, i.lon))) for i in ITEMS
                 if isinstance(i, kind) and i.city == city and i.lat is not None]
        return sorted(close, key=lambda pair: pair[1])[:limit]

    def nearby_sights(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Sight, float]]:
        return self._near(Sight, lat, lon, city, limit)

    def nearby_hotels(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Hotel, float]]:
        return self._near(Hotel, lat, lon, city, limit)


@pytest.fixture(scope="module")
def reader() -> DomainReader:
    return DomainReader.from_file(ROOT / "domain.yml")


@pytest.fixture(scope="module")
def responses() -> Dict[str, str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name: variants[0]["text"] for name, variants in domain["responses"].items() if variants[0].get("text")}


@pytest.fixture
def judge(reader: DomainReader) -> Judge:
    return Judge(reader, SmallCatalogue)


def dialogue(turns: List[Dict[str, Any]]) -> Dialogue:
    return parse_dialogue({"id": "t", "turns": turns}, "inline.yml", 1)


def judged(judge: Judge, turns: List[Dict[str, Any]], replies: List[Reply]) -> DialogueResult:
    """Replays canned replies, one per turn, through the runner's own replay loop."""
    queue = list(replies)
    return replay(dialogue(turns), lambda sender, text: queue.pop(0), judge, sender="unit")


def checks(turn: TurnResult) -> List[str]:
    return [failure.check for failure in turn.failures]


# --- dialogue files ---------------------------------------------------------------------

def test_the_readme_example_is_a_valid_dialogue(tmp_path: Path) -> None:
    readme = (ROOT / "tests" / "dialogues" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL).group(1)
    path = tmp_path / "example.yml"
    path.write_text(example, encoding="utf-8")
    [loaded] = load_file(path)
    assert loaded.id == "hotel-chengdu-kuanzhai-01" and len(loaded.turns) == 3
    assert loaded.turns[1].expect.facts[1].attribute == "停车"


def test_every_scripted_dialogue_file_is_valid() -> None:
    """The measured dialogues (tests/dialogues/*.yml) load without an error in any file."""
    paths = sorted((ROOT / "tests" / "dialogues").glob("*.yml"))
    if not paths:
        pytest.skip("no scripted dialogues yet in tests/dialogues/")
    dialogues = load_files(paths)
    assert all(d.turns for d in dialogues)


@pytest.mark.parametrize("turn, message", [
    ({"user": "你好", "expect": {"mention": ["x"]}}, "unknown expectation 'mention'"),
    ({"user": "你好", "expect": {"fact": {"item": "shown 1", "attribute": "颜色"}}}, "unknown attribute '颜色'"),
    ({"user": "你好", "expect": {"shows": "hostel"}}, "unknown kind 'hostel'"),
    ({"user": "你好", "gives": {"town": "成都"}}, "unknown slot 'town'"),
    ({"user": "你好", "expect": {"all_shown": {"price_max": 5}}}, "unknown filter 'price_max'"),
    ({"user": "你好", "expect": {"all_shown": {"depart_after": 9}}}, "HH:MM"),
    ({"user": "你好", "expect": {"asks": "hotel"}}, "unknown slot 'hotel'"),
    ({"user": "你好", "say": "x"}, "unknown key 'say'"),
    ({"expect": {"closes": True}}, "needs 'user'"),
])
def test_invalid_dialogues_are_errors_naming_file_dialogue_and_turn(tmp_path: Path, turn: Dict[str, Any],
                                                                    message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"dialogues": [{"id": "bad-01", "turns": [turn]}]}, allow_unicode=True))
    with pytest.raises(ScriptError) as error:
        load_file(path)
    assert str(path) in str(error.value) and "'bad-01'" in str(error.value) and "turn 1" in str(error.value)
    assert message in str(error.value)


def test_dialogue_ids_are_unique_across_files(tmp_path: Path) -> None:
    content = textwrap.dedent("""\
        dialogues:
          - id: same
            turns: [{user: 你好}]
        """)
    (tmp_path / "a.yml").write_text(content)
    (tmp_path / "b.yml").write_text(content)
    with pytest.raises(ScriptError, match="already used"):
        load_files([tmp_path / "a.yml", tmp_path / "b.yml"])


# --- prompts from the domain ------------------------------------------------------------

def test_prompt_slots_come_from_response_names(reader: DomainReader) -> None:
    assert slots_of("utter_ask_hotel_city") == {"city"}
    assert slots_of("utter_ask_book_variant") == {"room", "seat"}
    assert slots_of("utter_book_summary") == {"confirm"}
    assert slots_of("utter_ask_new_date") == set()  # changing an order asks for a new value
    asked = {slot for name in reader.prompts for slot in reader.prompts[name]}
    assert {"city", "date", "people", "origin", "destination", "nights", "names", "phone", "confirm"} <= asked


def test_a_prompt_is_recognised_with_its_placeholders_filled_and_in_traditional(
        reader: DomainReader, responses: Dict[str, str]) -> None:
    variant = responses["utter_ask_book_variant"].format(name="成都宽窄巷子栖云酒店", lines="1. 大床房\n2. 双床房")
    assert set(reader.asked_slots(Reply.of(variant).text)) == {"room", "seat"}
    traditional = Reply.of("好的。" + to_traditional(responses["utter_ask_hotel_city"]))
    assert reader.asked_slots(traditional.text) == {"city": "utter_ask_hotel_city"}


# --- always-on checks -------------------------------------------------------------------

def test_asking_again_for_a_given_slot_is_a_re_ask_even_in_traditional(
        judge: Judge, responses: Dict[str, str]) -> None:
    result = judged(judge, [{"user": "成都的酒店", "gives": {"city": "成都"}}, {"user": "便宜点的"}],
                    [Reply.of(responses["utter_ask_book_date"]),
                     Reply.of(to_traditional(responses["utter_ask_hotel_city"]))])
    assert result.turns[0].passed
    assert checks(result.turns[1]) == [REASK] and "city" in result.turns[1].failures[0].reason


def test_asks_written_for_a_turn_allows_that_question(judge: Judge, responses: Dict[str, str]) -> None:
    result = judged(judge, [{"user": "去火星", "gives": {"city": "火星"}, "expect": {"asks": "city"}}],
                    [Reply.of(responses["utter_ask_hotel_city"])])
    assert result.turns[0].passed


def test_the_same_prompt_again_with_nothing_else_is_a_loop(judge: Judge, responses: Dict[str, str]) -> None:
    ask = responses["utter_ask_book_people"]
    result = judged(judge, [{"user": "上海酒店"}, {"user": "有停车场吗"}, {"user": "两个人"}],
                    [Reply.of(ask), Reply.of(ask), Reply.of(responses["utter_ask_book_date"])])
    assert [checks(t) for t in result.turns] == [[], [LOOP], []]


def test_answering_then_asking_again_is_a_loop_only_the_third_time(judge: Judge, responses: Dict[str, str]) -> None:
    ask = responses["utter_ask_book_people"]
    turns = [{"user": "上海酒店"}, {"user": "有停车场吗"}, {"user": "有泳池吗"}]
    result = judged(judge, turns, [Reply.of(ask), Reply.of("有的，酒店有停车场。", ask),
                                   Reply.of("有的，酒店有室内泳池。", ask)])
    assert [checks(t) for t in result.turns] == [[], [], [LOOP]]


def test_a_summary_shown_again_with_a_corrected_value_is_not_a_loop(judge: Judge, responses: Dict[str, str]) -> None:
    summary = responses["utter_book_summary"]
    first, corrected = (summary.replace("{", "<").replace("}", ">"),
                        summary.replace("{", "<").replace("}", ">").replace("<", "[", 1))
    result = judged(judge, [{"user": "乘客张伟"}, {"user": "换成一等座"}, {"user": "还是二等座吧"}],
                    [Reply.of(first), Reply.of(corrected), Reply.of(first)])
    assert [checks(t) for t in result.turns] == [[], [], []]


def test_buttons_of_a_prompt_are_not_something_else(judge: Judge, responses: Dict[str, str]) -> None:
    ask = [{"text": responses["utter_ask_search_type"],
            "buttons": [{"title": "酒店", "payload": "/a"}, {"title": "火车票/机票/汽车票", "payload": "/b"}]}]
    result = judged(judge, [{"user": "查一下"}, {"user": "嗯嗯"}], [Reply.from_rest(ask), Reply.from_rest(ask)])
    assert [checks(t) for t in result.turns] == [[], [LOOP]]


def test_a_prompt_after_a_goodbye_or_back_from_a_left_flow_is_stale(
        judge: Judge, responses: Dict[str, str]) -> None:
    order = responses["utter_ask_order_ref"]
    result = judged(judge, [{"user": "查订单"}, {"user": "上海有什么酒店"}, {"user": "退票要多少钱"},
                            {"user": "再见"}],
                    [Reply.of(order), Reply.of(responses["utter_ask_book_date"]),
                     Reply.of("退票手续费按规则收取。", order), Reply.of(responses["utter_goodbye"], order)])
    assert checks(result.turns[2]) == ["stale"]
    assert "stale" in checks(result.turns[3])


def test_an_empty_reply_fails(judge: Judge) -> None:
    result = judged(judge, [{"user": "你好"}], [Reply.from_rest([])])
    assert checks(result.turns[0]) == ["empty"]


def test_buttons_are_part_of_the_reply(judge: Judge) -> None:
    reply = Reply.from_rest([{"text": "请选择：", "buttons": [{"title": "转人工", "payload": "/human"}]}])
    result = judged(judge, [{"user": "有人吗", "expect": {"offers_person": True}}], [reply])
    assert result.turns[0].passed


# --- written expectations ---------------------------------------------------------------

def test_traditional_replies_are_folded_before_mentions(judge: Judge) -> None:
    result = judged(judge, [{"user": "請問飯店幾點入住", "expect": {"mentions": ["酒店", "入住时间"],
                                                                  "not_mentions": ["没有"]}}],
                    [Reply.of("飯店的入住時間是14:00")])
    assert result.turns[0].passed


def test_not_mentions_failures_are_contradictions(judge: Judge) -> None:
    result = judged(judge, [{"user": "苏州有团吗", "expect": {"not_mentions": ["没有去苏州"]}}],
                    [Reply.of("抱歉，暂时没有去苏州的跟团游。目前可查询的目的地有：苏州、杭州。")])
    assert checks(result.turns[0]) == [CONTRADICTION]


def test_shown_n_is_the_nth_item_of_the_last_list(judge: Judge) -> None:
    listing = Reply.of("为您找到成都的酒店：\n1. 成都春熙路锦华大酒店（5星）¥1680/晚起\n"
                       "2. 成都宽窄巷子栖云酒店（4星，近宽窄巷子）¥458/晚起")
    turns = [{"user": "成都的酒店"}, {"user": "第二个地址", "expect": {"fact": {"item": "shown 2", "attribute": "地址"}}},
             {"user": "它评分多少", "expect": {"fact": {"item": "focus", "attribute": "评分"}}}]
    right = judged(judge, turns, [listing, Reply.of("地址：青羊区金河路59号"), Reply.of("评分4.6分")])
    assert all(turn.passed for turn in right.turns)
    wrong = judged(judge, turns, [listing, Reply.of("地址：锦江区春熙路8号"), Reply.of("评分4.8分")])
    assert [checks(t) for t in wrong.turns] == [[], ["fact"], ["fact"]]


def test_a_detail_reply_does_not_replace_the_list_it_came_from(judge: Judge) -> None:
    listing = Reply.of("1. 成都春熙路锦华大酒店 ¥1680/晚起\n2. 成都宽窄巷子栖云酒店 ¥458/晚起")
    turns = [{"user": "成都的酒店"}, {"user": "第一个呢"},
             {"user": "第二个电话", "expect": {"fact": {"item": "shown 2", "attribute": "电话"}}}]
    result = judged(judge, turns, [listing, Reply.of("【成都春熙路锦华大酒店】5星，附近有宽窄巷子"),
                                   Reply.of("成都宽窄巷子栖云酒店电话028-86001234")])
    assert all(turn.passed for turn in result.turns)


def test_a_named_item_can_be_asked_about_by_name_or_code(judge: Judge) -> None:
    turns = [{"user": "G7几点到", "expect": {"fact": [{"item": "G7", "attribute": "到达时间"},
                                                      {"item": "g7", "attribute": "车站"}]}}]
    assert judged(judge, turns, [Reply.of("G7 北京南站19:00发车，晚上11点38分到上海虹桥站")]).turns[0].passed
    assert not judged(judge, turns, [Reply.of("G7 23:18到上海虹桥站，北京南站发车")]).turns[0].passed


FACT_CASES = [
    # item, attribute, a reply that carries the catalogue's value, one that does not
    (QIYUN, "地址", "在青羊区 金河路59号", "在金河路95号"),
    (QIYUN, "电话", "电话：028 8600 1234", "电话：028-86001235"),
    (QIYUN, "评分", "评分4.6", "评分4.7"),
    (QIYUN, "评分", "4.6分（满分5分）", "评分4.65"),
    (QIYUN, "星级", "四星级酒店", "三星级"),
    (BUND, "星级", "这是一家经济型酒店", "五星级"),
    (QIYUN, "价格", "大床房¥458起", "¥468起"),
    (QIYUN, "房型", "有大床房和双床房", "只有套房"),
    (QIYUN, "停车", "有停车场，可以免费停", "不提供停车位"),
    (LUXE, "停车", "酒店有停车场", "没有停车场"),
    (QIYUN, "泳池", "酒店没有游泳池", "有室内泳池"),
    (LUXE, "早餐", "房费含早餐", "不含早餐"),
    (QIYUN, "设施", "有行李寄存和免费WiFi", "有温泉"),
    (QIYUN, "入住时间", "下午2点以后可以入住", "下午3点入住"),
    (QIYUN, "退房时间", "中午12:00前退房", "11:00前退房"),
    (QIYUN, "地铁", "离地铁4号线宽窄巷子站400米", "成都宽窄巷子栖云酒店附近没有地铁"),
    (LUXE, "停车", "有停车场，停车需另付费", "停车场：无"),
    (BUND, "早餐", "不含早餐，也没有餐厅", "早餐很丰富"),
    (LUXE, "早餐", "含早，每天7点开餐", "不含早，早餐另付68元"),
    (QIYUN, "周边", "附近有宽窄巷子", "附近有武侯祠"),
    (LUXE, "地铁", "暂时没有这家酒店的地铁信息", "地铁很方便"),
    (KUANZHAI, "地铁", "宽窄巷子最近的地铁站是4号线宽窄巷子，步行约300米", "宽窄巷子附近没有地铁"),
    (PANDA, "票价", "成人票55元", "成人票58元"),
    (KUANZHAI, "票价", "宽窄巷子免费开放", "门票30元"),
    (PANDA, "开放时间", "7点半到18:00开放，17:00停止入园", "8:00-18:00"),
    (PANDA, "开放时间", "开放时间07:30-18:00", "07:30-17:00"),
    (PANDA, "游玩时长", "建议游玩3到4个小时", "建议游玩1-2小时"),
    (KUANZHAI, "游玩时长", "一般逛两到三小时", "逛半天"),
    (KUANZHAI, "介绍", "这是成都保存最完整的清代古街区", "成都最热闹的商圈"),
    (KUANZHAI, "适合人群", "很适合情侣", "适合带娃"),
    (KUANZHAI, "电话", "抱歉，暂无宽窄巷子的电话", "电话是028-12345678"),
    (TOUR_SZ, "价格", "¥268/人", "¥298/人"),
    (TOUR_SZ, "费用包含", "含往返空调大巴和景点首道门票", "含午餐"),
    (TOUR_SZ, "费用不含", "不含午餐及个人消费", "全包"),
    (TOUR_SZ, "行程", "上午拙政园，下午狮子林与平江路", "上午虎丘"),
    (TOUR_SZ, "团期", "每周六、周日发团", "每周六发团"),
    (TOUR_SZ, "天数", "一天往返，1天", "两日游"),
    (G7, "发车时间", "19:00发车", "9:00发车"),
    (G7, "时长", "全程4小时38分", "全程4小时8分"),
    (G7, "票价", "二等座553元", "二等座535元"),
    (G7, "座位", "二等座有票", "还有"),
    (G7, "车站", "北京南站→上海虹桥站", "北京站→上海站"),
    (MU, "航站楼", "虹桥T2出发，到首都机场T2", "T1出发"),
    (MU, "时长", "飞行135分钟", "飞行2小时"),
    (G7, "航站楼", "火车没有航站楼信息，暂无", "T2"),
]


@pytest.mark.parametrize("item, attribute, right, wrong", FACT_CASES,
                         ids=[f"{facts.label(c[0])}-{c[1]}" for c in FACT_CASES])
def test_each_attribute_is_checked_against_the_catalogue(item: Any, attribute: str, right: str, wrong: str) -> None:
    catalogue = SmallCatalogue()
    assert facts.check_fact(catalogue, item, attribute, Reply.of(right).text) is None
    assert facts.check_fact(catalogue, item, attribute, Reply.of(wrong).text) is not None


def test_an_attribute_of_another_kind_is_reported() -> None:
    assert "not an attribute" in facts.check_fact(SmallCatalogue(), G7, "早餐", "含早餐")


ALL_SHOWN_CASES = [
    ("hotel", {"city": "成都", "max_price": 600, "near": "宽窄巷子"}, [QIYUN], [QIYUN, LUXE]),
    ("hotel", {"facility": ["游泳池", "停车"], "min_stars": 5}, [LUXE], [LUXE, QIYUN]),
    ("hotel", {"min_rating": 4.5, "district": "青羊"}, [QIYUN], [QIYUN, BUND]),
    ("hotel", {"type": "经济型"}, [BUND], [BUND, LUXE]),
    ("sight", {"free": True, "city": "成都"}, [KUANZHAI], [KUANZHAI, PANDA]),
    ("train", {"origin": "北京", "depart_after": "18:00", "fare_class": "一等座"}, [G7], [G7, MU]),
    ("flight", {"mode": "flight", "depart_before": "09:00", "destination": "北京"}, [MU], [MU, G7]),
    ("tour", {"destination": "苏州", "max_price": 300}, [TOUR_SZ], None),
]


@pytest.mark.parametrize("kind, filters, right, wrong", ALL_SHOWN_CASES)
def test_all_shown_holds_only_when_every_listed_item_satisfies_the_filters(
        judge: Judge, kind: str, filters: Dict[str, Any], right: List[Any], wrong: Optional[List[Any]]) -> None:
    def listing(items: List[Any]) -> Reply:
        return Reply.of("为您找到：\n" + "\n".join(f"{n}. {facts.label(i)}" for n, i in enumerate(items, 1)))

    turn = [{"user": "找找看", "expect": {"shows": kind, "all_shown": filters}}]
    assert judged(judge, turn, [listing(right)]).turns[0].passed
    if wrong:
        failed = judged(judge, turn, [listing(wrong)]).turns[0]
        mismatched = [i for i in wrong if i not in right]
        assert checks(failed) and all(f.check in ("all_shown", "shows") for f in failed.failures)
        assert any(facts.label(mismatched[0]) in f.reason for f in failed.failures) or kind in ("train", "flight")


def test_a_landmark_named_beside_the_results_is_not_a_result(judge: Judge) -> None:
    reply = Reply.of("宽窄巷子附近的酒店：\n1. 成都宽窄巷子栖云酒店，距宽窄巷子300米")
    turn = [{"user": "宽窄巷子附近", "expect": {"shows": "hotel", "all_shown": {"near": "宽窄巷子", "city": "成都"}}}]
    assert judged(judge, turn, [reply]).turns[0].passed


def test_all_shown_fails_when_nothing_is_shown(judge: Judge) -> None:
    turn = [{"user": "找找看", "expect": {"all_shown": {"city": "成都"}}}]
    assert checks(judged(judge, turn, [Reply.of("请问您想住在哪个城市？")]).turns[0]) == ["all_shown"]


def test_shows_needs_an_item_of_that_kind(judge: Judge) -> None:
    turn = [{"user": "北京到上海的航班", "expect": {"shows": "flight"}}]
    assert checks(judged(judge, turn, [Reply.of("有G7，19:00发车")]).turns[0]) == ["shows"]


@pytest.mark.parametrize("flag, response, values", [
    ("closes", "utter_goodbye", {}),
    ("missing", "utter_unknown_tour_city", {"city": "拉萨", "cities": "苏州、杭州"}),
    ("offers_person", "utter_human_contact", {"hotline": "400-000-0000", "hours": "9:00-21:00"}),
    ("booked", "utter_book_done", {"reference": "TD2H8KQ4MZ", "total": "¥916", "hold_minutes": 30,
                                   "hold_until": "12:30", "link": "https://pay"}),
    ("summary", "utter_book_summary", {"name": "成都宽窄巷子栖云酒店", "variant": "", "when": "12月5日入住",
                                       "quantity": "1间", "guests": "张伟", "phone": "138****8001",
                                       "total": "¥458", "payment": "到店付款"}),
])
def test_kinds_of_reply_are_recognised_from_the_domain_templates(
        judge: Judge, responses: Dict[str, str], flag: str, response: str, values: Dict[str, Any]) -> None:
    text = responses[response].format(**values)
    assert judged(judge, [{"user": "嗯", "expect": {flag: True}}], [Reply.of(text)]).turns[0].passed
    assert checks(judged(judge, [{"user": "嗯", "expect": {flag: True}}],
                         [Reply.of("好的，还有什么可以帮您？")]).turns[0]) == [flag]
    assert judged(judge, [{"user": "嗯", "expect": {flag: False}}],
                  [Reply.of("好的，还有什么可以帮您？")]).turns[0].passed


def test_a_goodbye_that_asks_again_does_not_close(judge: Judge, responses: Dict[str, str]) -> None:
    reply = Reply.of(responses["utter_goodbye"], responses["utter_ask_book_people"])
    turn = judged(judge, [{"user": "谢谢再见", "expect": {"closes": True}}], [reply]).turns[0]
    assert "closes" in checks(turn) and "stale" in checks(turn)


# --- report -----------------------------------------------------------------------------

def test_the_report_counts_task_success_turns_and_kinds_of_failure(judge: Judge, responses: Dict[str, str]) -> None:
    good = judged(judge, [{"user": "再见", "expect": {"closes": True}}], [Reply.of(responses["utter_goodbye"])])
    bad = judged(judge, [{"user": "成都酒店", "gives": {"city": "成都"}}, {"user": "两个人"}],
                 [Reply.of(responses["utter_ask_hotel_city"]), Reply.of(responses["utter_ask_hotel_city"])])
    totals = summary([good, bad])["totals"]
    assert totals["task_success_percent"] == 50.0 and totals["turns_passed"] == 1 and totals["turns"] == 3
    assert totals["re_asks"] == 2 and totals["loops"] == 1 and totals["contradictions"] == 0
    text = render([good, bad])
    assert "FAIL  t" in text and "成都酒店" in text and "re-ask" in text and "TOTAL: task success 50.0%" in text


# --- live ---------------------------------------------------------------------------------

@pytest.mark.model
def test_the_runner_judges_a_live_conversation_rightly(bot_server: Dict[str, Any], reader: DomainReader) -> None:
    from bot.dialogue_eval.runner import default_catalogue, run

    dialogues = load_file(ROOT / "tests" / "dialogue_fixtures" / "smoke.yml")
    results = run(dialogues, f"http://127.0.0.1:{bot_server['port']}", catalogue=default_catalogue)
    smoke, impossible = results
    greeting, search, goodbye = smoke.turns
    assert smoke.sender != impossible.sender and all(turn.reply for turn in smoke.turns)
    assert greeting.passed == ("途达" in greeting.reply)
    assert ("not_asks" in checks(search)) == ("city" in reader.asked_slots(Reply.of(search.reply).text))
    assert goodbye.passed == (reader.closes(Reply.of(goodbye.reply).text) is None)
    assert not impossible.passed
    assert set(checks(impossible.turns[0])) == {"mentions", "asks"}
    # a dialogue played as a demo customer starts from a restarted conversation
    events = rasa_api(bot_server["port"], "/conversations/rest:demo-zhang/tracker", params={"include_events": "ALL"})
    assert any(event["event"] == "restart" for event in events["events"])
