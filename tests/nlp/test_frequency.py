"""How common a word is (wordfreq's English list) and the CRF features built on it. Pure."""

from __future__ import annotations

import json

from annotator.nlp import crf, features, frequency


def test_common_words_bin_higher_than_rare_ones_and_unknown_words_bin_zero():
    assert frequency.zipf_bin("the") == 7
    assert frequency.zipf_bin("The") == frequency.zipf_bin("the")  # case does not matter
    assert frequency.zipf_bin("python") > frequency.zipf_bin("keras") > 0
    assert frequency.zipf_bin("qzxvbnmkp") == 0


def test_a_hashtag_or_mention_counts_as_its_word():
    assert frequency.zipf_bin("#London") == frequency.zipf_bin("london") > 0
    assert frequency.zipf_bin("@nasa") == frequency.zipf_bin("nasa") > 0
    assert frequency.zipf_bin("#") == 0


def test_rare_words_are_marked_and_neighbours_bins_are_given():
    tokens = ["I", "love", "Zlatan", "and", "2024"]
    found = features.sentence_features(tokens)
    assert found[2]["rare"] is True and "rare" not in found[1]
    assert "rare" not in found[4]  # no letter: a number is not a rare word
    assert found[2]["-1:zipf"] == found[1]["zipf"] and found[2]["1:zipf"] == found[3]["zipf"]
    assert "-1:zipf" not in found[0] and "1:zipf" not in found[4]
    assert all(isinstance(f["zipf"], str) for f in found)  # one crfsuite feature per bin
    assert "zipf" not in features.sentence_features(tokens, frequency=False)[2]


def test_models_know_whether_they_were_trained_with_frequencies(tmp_path):
    sentences = [(["Mr", "Zlatan", "said"], ["O", "B-PER", "O"])] * 4
    path = tmp_path / "m.crfsuite"
    crf.train(sentences, path, iterations=5)
    tokens = ["Mr", "Kishan", "said"]
    assert crf.Tagger(path).frequency is True
    assert "zipf" in crf.Tagger(path)._features(tokens)[1]  # tags with the features it learnt
    data = json.loads(crf.sidecar(path).read_text())
    del data["frequency"]  # a model saved before the frequency features
    crf.sidecar(path).write_text(json.dumps(data))
    assert crf.Tagger(path).frequency is False
    assert "zipf" not in crf.Tagger(path)._features(tokens)[1]  # as it was trained
    crf.train(sentences, path, iterations=5, features="token")
    assert crf.Tagger(path).frequency is False
