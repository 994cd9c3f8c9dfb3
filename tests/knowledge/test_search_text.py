"""The pure text side of knowledge search: normalising, segmenting, query parsing, safe snippets."""
from contactcenter.knowledge.search import (
    ParsedQuery, QueryGroup, fts5_match, highlight, hit_spans, index_terms, mark, normalise, parse_query, pg_tsquery,
)


def test_normalise_folds_full_width_and_case():
    assert normalise("ＥＴＣ办理１２３４５") == "etc办理12345"
    assert normalise("ＡＢＣ　ｄ") == "abc d"
    assert normalise("Ｍ²") == "m2"


def test_index_terms_keep_two_character_words_found_inside_longer_words():
    terms = index_terms("城乡居民基本医疗保险").split()
    assert {"医疗保险", "医疗", "保险", "城乡居民", "居民"} <= set(terms)
    assert "社保" in index_terms("社保卡申领").split()
    assert "公积金" in index_terms("住房公积金提取").split()
    # a synonym-table phrase stays one term, so 低保's synonym can be matched as a whole
    assert "最低生活保障" in index_terms("最低生活保障申请").split()


def test_index_terms_drop_punctuation_and_fold_width():
    assert index_terms("ＥＴＣ，（办理）！") == "etc 办理"


def test_parse_query_expands_synonyms_both_ways():
    assert parse_query("医保").groups[0].terms == ("医保", "医疗保险", "医疗保障")
    assert parse_query("医疗保险").groups[0].terms == ("医保", "医疗保险", "医疗保障")
    assert parse_query("低保").groups[0].terms == ("低保", "最低生活保障")
    assert parse_query("住房公积金").groups[0].terms == ("公积金", "住房公积金")


def test_parse_query_drops_what_operators_type_around_the_subject():
    parsed = parse_query("请问社保卡怎么办理啊？")
    assert [g.terms for g in parsed.groups] == [("社保卡", "社会保障卡")]
    assert parse_query("怎么办啊").empty
    assert parse_query("   ").empty


def test_lone_character_becomes_a_prefix_and_compounds_may_split():
    parsed = parse_query("医保咋报")
    assert [(g.terms, g.prefix) for g in parsed.groups] == [(("医保", "医疗保险", "医疗保障"), False), (("报",), True)]
    assert fts5_match(parsed) == '("医保" OR "医疗保险" OR "医疗保障") AND ("报"*)'
    assert pg_tsquery(parsed, all_groups=False) == "('医保' | '医疗保险' | '医疗保障') | ('报':*)"
    split = parse_query("贫困学生").groups[0]
    assert split.terms == ("贫困学生",)
    assert split.split == (("贫困", "困难", "经济困难"), ("学生",))
    assert fts5_match(parse_query("贫困学生")) == '("贫困学生" OR (("贫困" OR "困难" OR "经济困难") AND ("学生")))'


def test_query_syntax_characters_never_reach_the_match_expression():
    parsed = parse_query('供暖" OR * NEAR(x) -- \'; DROP')
    expression = fts5_match(parsed)
    assert expression == '("供暖" OR "供热" OR "暖气" OR "取暖") AND ("or") AND ("near") AND ("x") AND ("drop")'
    assert "'" not in "".join(t for g in parsed.groups for t in g.terms)


def test_mark_escapes_text_and_wraps_hits():
    text = '<script>alert("供暖")</script>供暖'
    spans = hit_spans(text, ["供暖"])
    assert spans == [(15, 17), (28, 30)]
    assert mark(text, spans) == '&lt;script&gt;alert(&quot;<mark>供暖</mark>&quot;)&lt;/script&gt;<mark>供暖</mark>'


def test_hits_are_found_through_full_width_text():
    # the article writes ＥＴＣ in full width; the normalised query term is "etc"
    assert mark("办理ＥＴＣ卡", hit_spans("办理ＥＴＣ卡", ["etc"])) == "办理<mark>ＥＴＣ</mark>卡"


def test_highlight_picks_the_window_with_the_hits():
    text = "甲" * 200 + "供暖期为11月15日至3月15日" + "乙" * 200
    # window of 40 starts a quarter-width (10) before the hit: 10 + 16 characters of text + 14
    html = highlight(text, ["供暖"], width=40)
    assert html == "…" + "甲" * 10 + "<mark>供暖</mark>期为11月15日至3月15日" + "乙" * 14 + "…"
    assert highlight("短文本<b>", ["无"]) == "短文本&lt;b&gt;"


def test_split_keeps_lone_characters_as_prefixes():
    # 燃气表 must not match every 燃气 article: the 表 stays, as a word start (表具, 表前)
    assert fts5_match(parse_query("燃气表")) == '("燃气表" OR (("燃气" OR "天然气" OR "煤气") AND ("表"*)))'


def test_hit_spans_map_back_through_characters_that_change_length():
    # ㎡ becomes two characters when normalised; the spans still point into the original text
    text = "面积１００㎡以上，ＥＴＣ卡"
    assert hit_spans(text, ["m2", "etc"]) == [(5, 6), (9, 12)]
    assert hit_spans("ＥＴＣ卡，ＥＴＣ", ["etc"]) == [(0, 3), (5, 8)]


def test_terms_of_equal_length_are_marked_in_a_fixed_order():
    query = ParsedQuery((QueryGroup(("贷款",)), QueryGroup(("公积金贷款",)), QueryGroup(("住房公积金",))))
    terms = query.highlight_terms()
    assert terms == ["住房公积金", "公积金贷款", "贷款"]
    text = "住房公积金贷款"
    assert mark(text, hit_spans(text, terms)) == "<mark>住房公积金</mark><mark>贷款</mark>"
