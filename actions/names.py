"""Guest and passenger names from a traveller's free text ("张伟、刘芳", "入住人是 Tom Lee"),
with who is a child when the text says so ("小孩王小宇", "王小宇（小孩）", "王小宇 8岁")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from bot.identifiers import MOBILE_IN_TEXT
from bot.nlu.people import AGE, CHILD, NUMBER, is_child

LEAD = re.compile(r"^(?:请|帮我)?(?:把)?(?:入住人|住客|客人|乘客|乘机人|出行人|联系人|联络人|游客|旅客|姓名|名字|人名|改成|换成|改为"
                  r"|应该是|应该为|正确的?是|只有|就是|是|叫|为)+[是为叫系：:\s]*")
# "少了三个", "多了一个", "写错了", "不对", "三个人": what was wrong with the names, or a count.
WHAT_WAS_WRONG = re.compile(rf"少了|多了|漏了|写错|错了|搞错|不对|不是|应该|{NUMBER}\s*(?:个|位|名)")
# "……宋佳四个人，麻烦改一下": a count of the names, and a request to change them, after them.
AFTER_NAMES = re.compile(rf"(?:[，,。\s]*(?:一共|共|总共)?{NUMBER}\s*(?:个人|位|个|人)"
                         r"|[，,。\s]*(?:麻烦|请|帮我|帮忙)?(?:你)?(?:帮我)?(?:改|修改|更正|更新|换)(?:一下)?(?:吧|哈|啊|呀)?"
                         r"|[，,。\s]*(?:谢谢|多谢|麻烦了|辛苦了))+[。.!！~～]*$")
# "还有两个孩子 张小明 张小红": the names after it are children.
CHILDREN_GROUP = re.compile(rf"(?:还有|以及|加上|另外|带着?)?\s*(?P<count>{NUMBER})\s*(?:个|位|名)?\s*{CHILD}\s*(?:是|叫|[：:])?\s*")
# "张三和李四", "陈嘉欣同梁俊杰" (Cantonese 同 is "and"), "CHAN TAI MAN 同 LEUNG MEI LING".
SEPARATORS = re.compile(r"[，,、;；/\n]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|\s+[和同与及]\s*|\s*[和同与及]\s+"
                        r"|(?<=[\u4e00-\u9fff])[和同与](?=[\u4e00-\u9fff]{2})|跟|还有")
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff·]{1,12}$")
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,39}$")
RELATIONS = re.compile(r"我|你|他|她|老婆|老公|孩子|儿子|女儿|朋友|家人|爸|妈|同事|先生|女士")
# "小孩陈小雨", "我老公陈浩": who the person is, before their name.
ROLE = re.compile(r"^(?:我的?)?(?:小孩|孩子|儿子|女儿|儿童|宝宝|小朋友|大人|成人|老人|老公|老婆|先生|太太|爱人)(?:是|叫)?")
# "王小宇（小孩）", "王小宇(8岁)": a note on who the person is, after their name.
NOTE = re.compile(r"\s*[(（]\s*(?P<note>[^()（）]{1,12})\s*[)）]\s*$")
# "王小宇 8岁", "王小宇，8岁", "王小宇八岁": an age after a name, read as a note on it (a
# Chinese numeral only after a space or comma, so it is not taken from the name itself).
AGE_AFTER_NAME = re.compile(rf"(?<=[\u4e00-\u9fffA-Za-z])(?:[\s,，]*(?=\d)|[\s,，]+){AGE}")
# "写我的名字吧": says whose name follows, names no one.
SAYS_WHOSE = re.compile(r"^(?:写|填|用|就)?(?:我|本人)(?:自己)?的?(?:名字|姓名)(?:吧|就行|就好|就可以)?$")
# "手机13912345678", "電話 +852 9123 4567" said with the names: the contact, handled by
# the phone slot.
CONTACT = re.compile(r"(?:联系)?(?:手机号?码?|电话(?:号码)?|联系方式|号码)?\s*[:：是为]?\s*(?:"
                     + MOBILE_IN_TEXT.pattern + ")")
# "H12345678", "身份证440304199002181015", "护照号码：E12345678": a document number said with
# a name answers the names step; the number itself is not part of the name.
DOCUMENT = re.compile(r"(?:身份证|身分证|护照|证件|回乡证|通行证|台胞证)?(?:号码|号)?\s*[:：是为]?\s*"
                      r"(?<![0-9A-Za-z])[A-Za-z]{0,2}\d{6,18}[0-9Xx]?(?:[(（][0-9A][)）])?(?![0-9A-Za-z])")
# "两位，陈嘉欣、梁俊杰", "1位，赵敏": the party's size said before the names.
COUNT_BEFORE = re.compile(rf"^(?:一共|共|总共)?{NUMBER}\s*(?:个人|位|个|人|名|张)[，,：:\s]*")
LOST = re.compile(r"丢|掉了|遗失|不见|找不到|被偷|被抢|被盗")
NOT_NAMES = {"你好", "谢谢", "好的", "可以", "算了", "不用", "不要", "没有", "不知道", "取消", "确认"}


@dataclass(frozen=True)
class Named:
    """The travellers a message names, and how many of them it says are children."""

    names: Tuple[str, ...] = ()
    children: int = 0


def named_in(text: str) -> Named:
    """Every name in the text, in order, with the children among them; no names if any
    part does not look like a name.

    All-or-nothing, so "张伟和我老婆" is asked again rather than half understood.
    """
    body = LEAD.sub("", without_documents(CONTACT.sub("", text)).strip().strip(",，")).strip("。.！!～~ ")
    body = COUNT_BEFORE.sub("", body)
    body = AFTER_NAMES.sub("", AGE_AFTER_NAME.sub(lambda m: f"({m.group(0).strip(' ,，')})", body))
    group = CHILDREN_GROUP.search(body)
    if group is None:
        people = _people(body)
    else:  # "张伟、李娜，还有两个孩子 张小明 张小红"
        adults, children = _people(body[:group.start()], may_be_empty=True), _people(body[group.end():])
        people = [*adults, *[(name, True) for name, _ in children]] if adults is not None and children else None
    if not people:
        return Named()
    return Named(tuple(" ".join(name.split()) for name, _ in people), sum(child for _, child in people))


def without_documents(text: str) -> str:
    """The text without the ID or passport numbers said with the names."""
    return DOCUMENT.sub("", text)


def only_names_and_documents(text: str) -> bool:
    """"陈志强 H12345678，黄嘉欣 H23456789": travellers' details, not a report of lost
    documents (a document number is what someone who still has the document can type)."""
    return bool(DOCUMENT.search(text)) and not LOST.search(text) and bool(names_in(text))


def _people(text: str, may_be_empty: bool = False) -> Optional[List[Tuple[str, bool]]]:
    """The people a list of names says (name, whether a child); None unless every part
    is a name."""
    parts = [p.strip().strip("。.！!") for p in SEPARATORS.split(text) if p and p.strip()]
    people = [_person(LEAD.sub("", p).strip()) for p in parts]
    people = [(name, child) for name, child in people if name and not SAYS_WHOSE.match(name)]
    if not people:
        return [] if may_be_empty else None
    if any(_not_a_name(name) for name, _ in people):
        return None
    if all(CHINESE_NAME.match(name) or LATIN_NAME.match(name) for name, _ in people):
        return people
    return None


def names_in(text: str) -> Tuple[str, ...]:
    """Every name in the text, in order; empty if any part does not look like a name."""
    return named_in(text).names


def _person(part: str) -> Tuple[str, bool]:
    """A name without the role before it or the note after it, and whether either says
    the person is a child; a role without a name stays unnamed (and is refused)."""
    role = ROLE.match(part)
    name = part[role.end():] if role and role.end() < len(part) else part
    child = bool(role and role.end() < len(part) and re.search(CHILD, role.group(0)))
    note = NOTE.search(name)
    if note:
        child = child or is_child(note.group("note"))
        name = name[:note.start()]
    return name.strip(), child


def _not_a_name(part: str) -> bool:
    return part in NOT_NAMES or bool(RELATIONS.search(part) or WHAT_WAS_WRONG.search(part)) \
        or bool(re.fullmatch(CHILD, part))
