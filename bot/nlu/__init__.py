"""Rasa graph components for Chinese travellers' messages.

Importing this package registers the components with Rasa's recipe, so `config.yml`
can name them as `bot.nlu.ChineseNormalizer` and so on.
"""
from bot.nlu.normalizer import ChineseNormalizer
from bot.nlu.tokenizer import KnowledgeBaseJiebaTokenizer
from bot.nlu.rule_extractor import TravelRuleEntityExtractor

__all__ = ["ChineseNormalizer", "KnowledgeBaseJiebaTokenizer", "TravelRuleEntityExtractor"]
