"""Rasa graph components for Chinese travellers' messages.

Importing this package registers the components with Rasa's recipe, so `config.yml`
can name them as `bot.nlu.ChineseNormalizer` and so on.
"""
import warnings

# FAQ answers live in knowledge_base/faq.yml and are given by action_answer_faq, not by
# Rasa's responses, so the ResponseSelector has no response texts by design.
warnings.filterwarnings("ignore", message="Unable to fetch responses for faq/")

from bot.nlu.normalizer import ChineseNormalizer  # noqa: E402
from bot.nlu.tokenizer import KnowledgeBaseJiebaTokenizer  # noqa: E402
from bot.nlu.rule_extractor import TravelRuleEntityExtractor  # noqa: E402
from bot.nlu.acts import LeadingClauseTrimmer, SocialActOverride  # noqa: E402
from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer  # noqa: E402
from bot.nlu.place_names import PlaceNameExtractor  # noqa: E402

__all__ = ["ChineseNormalizer", "KnowledgeBaseJiebaTokenizer", "TravelRuleEntityExtractor",
           "LeadingClauseTrimmer", "SocialActOverride", "SentenceEncoderFeaturizer",
           "PlaceNameExtractor"]
