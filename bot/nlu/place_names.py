"""Rasa component: hotel and sight names as travellers write them, in the catalogue or not.

DIET learns names from the training data, so a name nobody wrote there is missed or cut
("宁波南苑饭店" came out as 饭店, "上海虹桥希尔顿" as 希尔顿), and it sometimes labels a
fragment with a function word in it ("先把钟山", "马俑和"). The bot must still know a
name was said, so it can say "we have no 北京星河宾馆" instead of misreading the sentence.
After the classifiers, this component settles the name spans by rule:

* words ending in a lodging word (酒店, 宾馆, 饭店, 客栈, 民宿, 度假村 …) are a hotel's name,
  reaching back over the words of the name (a hotel's name carries its city and area:
  宁波南苑饭店) and on over a branch (…店); so are the hotel brands of the knowledge base,
  with the city or area said before them (上海虹桥希尔顿);
* a sight of the catalogue or the knowledge base (name or alias) is a sight wherever it is
  said, and words ending in 景区, 公园, 博物馆 … are a sight the catalogue may lack;
* a city said before a sight is the city, not part of the sight (上海 + 迪士尼);
* a city label that runs on into a place (郑州火车站, 北京王府井) is cut back to the city;
* labels holding a function word or punctuation are trimmed to the name, or dropped.

Rule spans win over the model's where they overlap; names are read on the Simplified text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import knowledge
from bot.catalogue.names import LODGING_WORDS
from bot.settings import settings

HOTEL, SIGHT, CITY = "hotel_name", "attraction_name", "city"
NAME_KINDS = (HOTEL, SIGHT)

SIGHT_ENDINGS = ("风景名胜区", "风景区", "景区", "森林公园", "湿地公园", "公园", "博物馆", "博物院",
                 "纪念馆", "美术馆", "科技馆", "海洋馆", "动物园", "植物园", "乐园", "古镇", "古城",
                 "步行街", "老街", "古街", "遗址", "石窟")
# Words of the sentence, not of a name: a name's words stop at these (whole jieba words,
# so 如家, 张家界 and 维也纳 keep their characters).
STOP_WORDS = frozenset("""的 了 吗 呢 吧 啊 呀 嘛 哦 和 与 跟 或 或者 还是 在 去 到 从 住 住在 入住 订 预订 预定 帮 帮我
帮忙 麻烦 想 想要 要 找 问 问下 问一下 请问 查 查下 查一下 看 看看 看下 我 我们 你 你们 您 他 她 它 这 那 哪 这个
那个 哪个 这家 那家 哪家 一家 几 有 有没有 没有 是 就 还 也 都 很 太 把 被 给 让 请 说 能 会 可以 一下 个 家 间 晚
位 张 先 再 附近 旁边 周边 边上 边 旁 离 推荐 好 在吗 你好 您好 谢谢 对 不 没 先把 就订 还有 其实 然后 所以 但是 因为
包含 里 里面 一个 两个 打算 准备 计划 今天 明天 后天 今晚 明晚 上次 下次 以前 之前 最近 现在""".split())
# Words before a lodging word that make a kind of hotel, not a hotel's name.
HOTEL_KINDS = re.compile(
    r"^(?:(?:[一二三四五]|[1-5])星级?|五星|四星|三星|高档|高端|豪华|经济型?|快捷|便宜|实惠|平价|商务|亲子|"
    r"情侣|主题|精品|连锁|海景|江景|湖景|山景|园景|温泉|度假|星级|特色|网红|附近|周边|市区|市中心|机场|车站|"
    r"火车站|高铁站|地铁站?口?|当地|本地|一般|普通|好点|好一点|不错|干净|安静|老牌|新开|这种|那种|同一|别的|其他|"
    r"其它|另一?|海边|湖边|江边|河边|山上|山里|山脚|岛上|古城|古镇|景区|城里|城区|城中心|中心|沿海|临海|"
    r"带|有|含|泳池|游泳池|早餐|含早|停车场?|大床房?|双床房?|家庭房?|房|间|全新|装修|性价比高?|高性价比|"
    r"小|大|新|老|好|贵|最|靠近|离|近|边|旁|里|内|外|这边|那边|这里|那里|一家|几家|哪家|什么)+$"
)
# A word that is only a kind of place ("博物馆", "公园", "饭店") is not a name.
GENERIC = set(LODGING_WORDS) | set(SIGHT_ENDINGS) | {
    "景点", "景区", "雪山", "海边", "市区", "市中心", "机场", "车站", "火车站", "高铁站", "地铁站", "码头", "港口",
    "国家森林公园", "国家地质公园", "国家湿地公园", "国家公园", "人民公园", "中山公园", "城市公园", "省博物馆", "市博物馆"}
BRANCH = re.compile(r"^[\u4e00-\u9fff]{2,6}店")
CJK_OR_LATIN = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")
MAX_NAME_BODY = 10


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int
    value: str

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def as_entity(self) -> Dict[Text, Any]:
        return {"entity": self.entity, "start": self.start, "end": self.end, "value": self.value}


@dataclass(frozen=True)
class Gazetteer:
    sights: FrozenSet[str]
    brands: FrozenSet[str]
    longest: int


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Sight names and aliases (catalogue files and knowledge base) and hotel brands; names
    that are also cities (黄山, 九寨沟) are left to the model, which reads them in context."""
    from bot.catalogue.files import names

    sights = [w for a in knowledge.attractions() for w in (a.name, *a.aliases)]
    sights += names(settings.catalogue_dir, kinds=("sights",))
    brands = list(knowledge.vocabulary_of("hotel_brands.yml"))
    kept = {w for w in sights if len(w) >= 2 and not w.isascii() and not knowledge.canonical_city(w)}
    longest = max((len(w) for w in kept | set(brands)), default=2)
    return Gazetteer(frozenset(kept), frozenset(brands), longest)


Tokens = Sequence[Tuple[int, int]]


# Characters that make a word of the sentence when a word is made only of them (订个, 帮我).
STOP_CHARS = frozenset("的了吗呢吧啊呀嘛和与跟或在去到从住订帮想要找问查看我你他她它们这那哪个家几有没是就还也都很太"
                       "把被给让请说能会可以间晚位张再先")
# "去鹤岗看亲戚": a short unknown place right after going somewhere is a town, not a sight.
GOING_TO = re.compile(r"(?:去|到|来|回)$")


def is_stop(word: str) -> bool:
    return (word in STOP_WORDS or "的" in word or not CJK_OR_LATIN.match(word) or word.isdigit()
            or all(c in STOP_CHARS for c in word))


def _name_start(text: str, tokens: Tokens, end: int) -> int:
    """Where the name ending at ``end`` begins: back over whole words of the name, up to a
    word of the sentence, punctuation, or more words than a name has."""
    start = end
    for t_start, t_end in tokens:  # a word the ending is glued to ("南苑饭店") is the name's
        if t_start < end < t_end or (t_start < end and t_end == end and not is_stop(text[t_start:t_end])):
            start = t_start
    for t_start, t_end in reversed(tokens):
        if t_end != start:
            continue
        if is_stop(text[t_start:t_end]) or end - t_start > MAX_NAME_BODY:
            break
        start = t_start
    return start


def only_kinds(words: str) -> bool:
    """"三亚海边", "五星级", "带泳池": words that say what kind of hotel, not which."""
    rest = words[knowledge.leading_city(words) or (len(words) if knowledge.canonical_city(words) else 0):]
    return not rest or bool(HOTEL_KINDS.match(rest))


def _trim_kinds(text: str, start: int, end: int) -> int:
    """Skip leading words that describe rather than name ("五星级希尔顿" → 希尔顿)."""
    while start < end:
        for size in range(min(6, end - start), 1, -1):  # one character may begin a name (大华饭店)
            if HOTEL_KINDS.match(text[start:start + size]):
                start += size
                break
        else:
            return start
    return start


def hotels_by_ending(text: str, tokens: Tokens) -> List[Span]:
    found: List[Span] = []
    for match in re.finditer("|".join(LODGING_WORDS), text):
        body_start = _trim_kinds(text, _name_start(text, tokens, match.start()), match.start())
        if match.start() - body_start < 2 or only_kinds(text[body_start:match.start()]):
            continue
        end = match.end()
        branch = BRANCH.match(text[end:])
        if branch:
            end += branch.end()
        found.append(Span(HOTEL, body_start, end, text[body_start:end]))
    return found


def hotels_by_brand(text: str, tokens: Tokens, brands: Iterable[str]) -> List[Span]:
    """A brand with the city or area before it ("沈阳香格里拉", "上海虹桥希尔顿")."""
    found: List[Span] = []
    for brand in sorted(brands, key=len, reverse=True):
        for match in re.finditer(re.escape(brand), text):
            start = _trim_kinds(text, _name_start(text, tokens, match.start()), match.start())
            if match.start() - start >= 2 and knowledge.leading_city(text[start:match.end()]):
                found.append(Span(HOTEL, start, match.end(), text[start:match.end()]))
    return found


def sights_by_ending(text: str, tokens: Tokens) -> List[Span]:
    found: List[Span] = []
    for match in re.finditer("|".join(SIGHT_ENDINGS), text):
        start = _name_start(text, tokens, match.start())
        body = text[start:match.start()]
        if len(body) >= 2 and not only_kinds(body) and body not in GENERIC:
            found.append(Span(SIGHT, start, match.end(), text[start:match.end()]))
    return found


def sights_known(text: str, names: Gazetteer) -> List[Span]:
    found: List[Span] = []
    position = 0
    while position < len(text):
        for size in range(min(names.longest, len(text) - position), 1, -1):
            word = text[position:position + size]
            if word in names.sights:
                found.append(Span(SIGHT, position, position + size, word))
                position += size
                break
        else:
            position += 1
    return found


def without_city_before(span: Span, text: str) -> List[Span]:
    """"上海迪士尼" → 上海 (city) + 迪士尼 (sight), unless what is left is only a kind of
    place ("上海博物馆" is the museum's name)."""
    size = knowledge.leading_city(span.value)
    rest = span.value[size:]
    if not size or len(rest) < 2 or rest in GENERIC:
        return [span]
    return [city_at_start(span, size), Span(SIGHT, span.start + size, span.end, rest)]


def city_at_start(span: Span, size: int) -> Span:
    """The city the span's first ``size`` characters name (``knowledge.leading_city``)."""
    city = span.value[:size]
    return Span(CITY, span.start, span.start + size, knowledge.canonical_city(city) or city)


def _longest_first(spans: Iterable[Span]) -> List[Span]:
    chosen: List[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if not any(span.overlaps(other) for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def rule_names(text: str, tokens: Tokens, names: Optional[Gazetteer] = None) -> List[Span]:
    """Hotel and sight names found by rule, longest first; a hotel's name may hold a sight
    (西湖国宾馆) but a sight never a hotel."""
    names = names or gazetteer()
    hotels = _longest_first(hotels_by_ending(text, tokens) + hotels_by_brand(text, tokens, names.brands))
    sights = [s for s in sights_known(text, names) + sights_by_ending(text, tokens)
              if not any(s.overlaps(h) for h in hotels)]
    spans: List[Span] = list(hotels)
    for sight in _longest_first(sights):
        spans.extend(without_city_before(sight, text))
    return sorted(spans, key=lambda s: s.start)


def cleaned(span: Span, text: str, tokens: Tokens) -> Optional[Span]:
    """A model's name or city label without the sentence's words at its edges, or None
    when nothing of a name is left ("在吗", "帮我", "这订")."""
    inside = [(max(s, span.start), min(e, span.end)) for s, e in tokens if s < span.end and span.start < e]
    while inside and is_stop(text[inside[0][0]:inside[0][1]]):
        inside.pop(0)
    while inside and is_stop(text[inside[-1][0]:inside[-1][1]]):
        inside.pop()
    if not inside:
        return None
    start, end = inside[0][0], inside[-1][1]
    inner = text[start:end]
    if end - start < 2 or inner in GENERIC:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(span.entity, start, end, inner)


def city_cut_back(span: Span, text: str) -> Span:
    """"郑州火车站" labelled a city is the city 郑州."""
    size = knowledge.leading_city(span.value)
    if size and not knowledge.canonical_city(span.value):
        return city_at_start(span, size)
    return span


def city_opens_hotel(city: Span, hotel: Span) -> bool:
    """"香港观澜酒店": the city a hotel's name begins with stays a city too, so the item is
    looked up there (观澜酒店 alone is in twenty cities)."""
    return (city.entity == CITY and hotel.entity == HOTEL and city.start == hotel.start
            and bool(knowledge.canonical_city(city.value)))


def a_town_gone_to(span: Span, text: str, names: Gazetteer) -> bool:
    """"我下周要去鹤岗看亲戚": a sight label the gazetteer does not know, two or three
    characters with no sight's ending, right after 去/到/来/回, names a town."""
    return (2 <= len(span.value) <= 3 and span.value not in names.sights
            and not any(span.value.endswith(e) for e in SIGHT_ENDINGS)
            and bool(GOING_TO.search(text[:span.start])))


def settle(text: str, entities: Sequence[Dict[Text, Any]], tokens: Tokens,
           names: Optional[Gazetteer] = None) -> List[Dict[Text, Any]]:
    """The message's entities with names and cities settled as the module says."""
    names = names or gazetteer()
    ruled = rule_names(text, tokens, names)
    kept: List[Dict[Text, Any]] = []
    model: List[Span] = []
    for entity in entities:
        kind = entity.get("entity")
        if kind not in (*NAME_KINDS, CITY) or entity.get("extractor") == PlaceNameExtractor.__name__:
            kept.append(dict(entity))
            continue
        said = Span(str(kind), int(entity["start"]), int(entity["end"]), text[int(entity["start"]):int(entity["end"])])
        span = city_cut_back(said, text) if kind == CITY else said
        tidy = cleaned(span, text, tokens)
        if tidy is None or any(tidy.overlaps(r) for r in ruled if not city_opens_hotel(tidy, r)):
            continue
        if tidy.entity == SIGHT and a_town_gone_to(tidy, text, names):
            model.append(Span(CITY, tidy.start, tidy.end, tidy.value))
        elif tidy == said:
            kept.append(dict(entity))
        else:
            model.append(tidy)
    settled = [s.as_entity() for s in ruled + model]
    for entity in settled:
        entity["extractor"] = PlaceNameExtractor.__name__
    return sorted(kept + settled, key=lambda e: int(e["start"]))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class PlaceNameExtractor(GraphComponent, EntityExtractorMixin):
    """Settles hotel, sight and city spans after the classifiers (see the module)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PlaceNameExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text:
                tokens = [(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT]) or []]
                message.set(ENTITIES, settle(text, message.get(ENTITIES) or [], tokens), add_to_output=True)
        return messages
