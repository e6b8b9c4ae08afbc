"""Guest and passenger names from a traveller's free text ("张伟、刘芳", "入住人是 Tom Lee")."""
from __future__ import annotations

import re
from typing import Tuple

LEAD = re.compile(r"^(?:请|帮我)?(?:把)?(?:入住人|住客|客人|乘客|乘机人|出行人|联系人|联络人|游客|旅客|姓名|名字|人名|改成|换成|改为|就是|是|叫|为)+[是为叫：:\s]*")
SEPARATORS = re.compile(r"[，,、;；/\n]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|\s+和\s*|\s*和\s+|(?<=[\u4e00-\u9fff])和(?=[\u4e00-\u9fff]{2})|跟|还有")
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff·]{1,12}$")
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,39}$")
RELATIONS = re.compile(r"我|你|他|她|老婆|老公|孩子|儿子|女儿|朋友|家人|爸|妈|同事|先生|女士")
# "小孩陈小雨", "我老公陈浩": who the person is, before their name.
ROLE = re.compile(r"^(?:我的?)?(?:小孩|孩子|儿子|女儿|儿童|宝宝|小朋友|大人|成人|老人|老公|老婆|先生|太太|爱人)(?:是|叫)?")
# "写我的名字吧": says whose name follows, names no one.
SAYS_WHOSE = re.compile(r"^(?:写|填|用|就)?(?:我|本人)(?:自己)?的?(?:名字|姓名)(?:吧|就行|就好|就可以)?$")
# "手机13912345678" said with the names: the contact, handled by the phone slot.
CONTACT = re.compile(r"(?:联系)?(?:手机号?码?|电话(?:号码)?|联系方式|号码)?\s*[:：是为]?\s*(?:\+?86)?1[3-9]\d{9}")
NOT_NAMES = {"你好", "谢谢", "好的", "可以", "算了", "不用", "不要", "没有", "不知道", "取消", "确认"}


def names_in(text: str) -> Tuple[str, ...]:
    """Every name in the text, in order; empty if any part does not look like a name.

    All-or-nothing, so "张伟和我老婆" is asked again rather than half understood.
    """
    body = LEAD.sub("", CONTACT.sub("", text).strip().strip(",，")).strip("。.！!～~ ")
    parts = [p.strip().strip("。.！!") for p in SEPARATORS.split(body) if p and p.strip()]
    parts = [LEAD.sub("", p).strip() for p in parts]
    parts = [ROLE.sub("", p) or p for p in parts]  # a role without a name stays unnamed
    parts = [p for p in parts if p and not SAYS_WHOSE.match(p)]
    if not parts or any(p in NOT_NAMES or RELATIONS.search(p) for p in parts):
        return ()
    if all(CHINESE_NAME.match(p) or LATIN_NAME.match(p) for p in parts):
        return tuple(" ".join(p.split()) for p in parts)
    return ()
