"""Mapping templates: $input, $util, $context, $stageVariables as AWS documents them; template selection."""

from __future__ import annotations

import json

import pytest

from minilambda.apigateway.vtl import (
    TemplateError, TemplateInput, UnsupportedMediaType, escape_javascript, gateway_response_body, render,
    select_request_template,
)

BODY = json.dumps({"name": "Rex", "tags": ["a", "b"], "ok": True, "n": 2, "owner": {"id": 7, "vip": False}})
DATA = TemplateInput(body=BODY, path={"petId": "7"}, querystring={"q": "dog food", "petId": "q7"},
                     header={"X-Trace": "t1", "Content-Type": "application/json"},
                     context={"requestId": "req-1", "stage": "prod", "identity": {"sourceIp": "10.0.0.1"},
                              "authorizer": {"principalId": "alice"}},
                     stage_variables={"table": "pets-dev"})


def _r(template: str, data: TemplateInput = DATA) -> str:
    return render(template, data)


def test_input_body_json_and_path():
    assert _r("$input.body") == BODY
    assert _r("$input.json('$.name')") == '"Rex"'
    assert _r("$input.json('$.owner')") == '{"id":7,"vip":false}'
    assert _r("$input.json('$')") == json.dumps(json.loads(BODY), separators=(",", ":"))
    assert _r("$input.path('$.name')") == "Rex"
    assert _r("$input.path('$.tags').size()") == "2"
    assert _r("$input.path('$.owner.id')") == "7"
    assert _r("$input.json('$.tags[1]')") == '"b"'


def test_values_render_as_java():
    assert _r("$input.path('$.ok') $input.path('$.owner.vip')") == "true false"
    assert _r("$input.path('$.owner')") == "{id=7, vip=false}"
    assert _r("$input.path('$.tags')") == "[a, b]"
    assert _r("#if($input.path('$.owner.vip'))yes#{else}no#end") == "no"


def test_params_by_name_and_all():
    assert _r("$input.params('petId')") == "7"  # path wins over query string
    assert _r("$input.params('q')") == "dog food"
    assert _r("$input.params('x-trace')") == "t1"  # headers case-insensitively
    assert _r("[$input.params('absent')]") == "[]"
    template = ("#set($all = $input.params())#foreach($type in $all.keySet())$type:"
                "#foreach($name in $all.get($type).keySet())$name=$all.get($type).get($name),#end;#end")
    assert _r(template) == ("path:petId=7,;querystring:q=dog food,petId=q7,;"
                            "header:X-Trace=t1,Content-Type=application/json,;")
    assert _r("$input.params().header.get('X-Trace')") == "t1"


def test_context_and_stage_variables():
    assert _r("$context.requestId $context.identity.sourceIp $context.authorizer.principalId") == (
        "req-1 10.0.0.1 alice")
    assert _r("$stageVariables.table") == "pets-dev"


def test_util_functions():
    assert _r("$util.urlEncode('a b&c=d~*')") == "a+b%26c%3Dd%7E*"
    assert _r("$util.urlDecode('a+b%26c')") == "a b&c"
    assert _r("$util.base64Encode('héllo')") == "aMOpbGxv"
    assert _r("$util.base64Decode('aMOpbGxv')") == "héllo"
    assert _r("#set($o = $util.parseJson('{\"k\": [1, true]}'))$o.k.get(1) $o.k.size()") == "true 2"


@pytest.mark.parametrize("text, escaped", [
    ('say "hi"', 'say \\"hi\\"'), ("it's", "it\\'s"), ("a/b", "a\\/b"), ("back\\slash", "back\\\\slash"),
    ("line\nnext\ttab", "line\\nnext\\ttab"), ("é", "\\u00E9"), ("\x01", "\\u0001"), ("😀", "\\uD83D\\uDE00"),
])
def test_escape_javascript_like_commons_lang(text, escaped):
    assert escape_javascript(text) == escaped


def test_escape_javascript_in_template():
    data = TemplateInput(body='{"msg": "a \\"quoted\\" word"}')
    assert render('{"m": "$util.escapeJavaScript($input.path(\'$.msg\'))"}', data) == '{"m": "a \\"quoted\\" word"}'


def test_foreach_builds_a_json_array():
    template = '[#foreach($t in $input.path(\'$.tags\'))"$t"#if($foreach.hasNext),#end#end]'
    assert json.loads(_r(template)) == ["a", "b"]


def test_broken_templates_raise_template_error():
    with pytest.raises(TemplateError):
        _r("#if($x")
    with pytest.raises(TemplateError, match="parse the payload"):
        render("$input.json('$.a')", TemplateInput(body="not json"))


def test_empty_body_reads_as_empty_object():
    assert render("$input.json('$')", TemplateInput(body="")) == "{}"


@pytest.mark.parametrize("templates, content_type, behavior, expected", [
    ({"application/json": "T"}, None, "WHEN_NO_MATCH", "T"),  # default content type
    ({"application/json": "T"}, "application/json; charset=utf-8", "NEVER", "T"),
    ({"application/json": "T"}, "text/plain", "WHEN_NO_MATCH", None),
    ({}, "text/plain", "WHEN_NO_TEMPLATES", None),
])
def test_template_selection(templates, content_type, behavior, expected):
    assert select_request_template(templates, content_type, behavior) == expected


@pytest.mark.parametrize("templates, behavior", [
    ({"application/json": "T"}, "WHEN_NO_TEMPLATES"), ({}, "NEVER"), ({"application/json": "T"}, "NEVER"),
])
def test_unsupported_media_type(templates, behavior):
    with pytest.raises(UnsupportedMediaType) as refused:
        select_request_template(templates, "text/plain", behavior)
    assert (refused.value.status_code, refused.value.body) == (415, '{"message":"Unsupported Media Type"}')


def test_gateway_response_default_and_custom_templates():
    context = {"error": {"message": "Missing Authentication Token", "responseType": "MISSING_AUTHENTICATION_TOKEN"}}
    assert gateway_response_body(None, context) == '{"message":"Missing Authentication Token"}'
    assert gateway_response_body(None, {"error": {"message": None}}) == '{"message":null}'
    custom = '{"error": $context.error.messageString, "type": "$context.error.responseType", "env": "$stageVariables.e"}'
    assert json.loads(gateway_response_body(custom, context, {"e": "dev"})) == {
        "error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "env": "dev"}
