"""The OpenAPI document stays true: every route is documented and every documented path is a
route, the search parameters and their limits are those `search/service/params.py` enforces, and real
responses (successes and errors) validate against the documented schemas."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from search.service import params
from search.service.facade import MAX_PLACES_LIMIT
from search.web.app import OPENAPI_PATH

DOC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
DOC_URI = "urn:news-search:openapi"
REGISTRY = Registry().with_resource(DOC_URI, Resource.from_contents(DOC, DRAFT202012))


def documented_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in DOC["paths"].items() for method in item}


def app_operations(app) -> set[tuple[str, str]]:
    # Bottle writes wildcards as <name> or <name:filter>; OpenAPI as {name}.
    return {(route.method, re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", route.rule))
            for route in app.app.routes}


def search_parameter(name: str) -> dict:
    for parameter in DOC["paths"]["/api/search"]["get"]["parameters"]:
        resolved = DOC["components"]["parameters"]["q"] if "$ref" in parameter else parameter
        if resolved["name"] == name:
            return resolved
    raise KeyError(name)


def assert_valid(instance, schema_name: str) -> None:
    schema = {"$ref": f"{DOC_URI}#/components/schemas/{schema_name}"}
    validator = Draft202012Validator(schema, registry=REGISTRY)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, errors


def test_document_is_valid_openapi_3_1():
    validate_openapi(DOC)
    assert DOC["openapi"].startswith("3.1")


def test_every_route_of_the_app_is_documented(app):
    assert app_operations(app) <= documented_operations()


def test_every_documented_operation_is_a_route_of_the_app(app):
    assert documented_operations() <= app_operations(app)


def test_search_parameters_are_exactly_those_the_service_accepts():
    documented = {search_parameter(p)["name"] for p in params.KNOWN}
    listed = {p.get("name", "q") for p in DOC["paths"]["/api/search"]["get"]["parameters"]}
    assert documented == listed == set(params.KNOWN)


def test_repeatable_search_parameters_are_documented_as_arrays():
    arrays = {p for p in params.KNOWN if search_parameter(p)["schema"].get("type") == "array"}
    assert arrays == set(params.REPEATABLE)


@pytest.mark.parametrize("name, choices", [("mode", params.MODES), ("match", params.MATCHES),
                                           ("sort", params.SORTS), ("group", params.GROUPS)])
def test_documented_choices_and_default_match_params(name, choices):
    schema = search_parameter(name)["schema"]
    assert (schema["enum"], schema["default"]) == (list(choices), choices[0])


@pytest.mark.parametrize("parameter", [p for p in params.SEARCH_PARAMETERS if p.choices],
                         ids=lambda p: p.name)
def test_every_parameter_with_choices_is_documented_with_them(parameter):
    schema = search_parameter(parameter.name)["schema"]
    documented = schema.get("enum") or schema.get("items", {}).get("enum")
    if schema["type"] == "boolean":
        documented = ["true", "false"]
    assert documented == list(parameter.choices)


def test_documented_name_limits_match_params():
    place = search_parameter("place")["schema"]["items"]["maxLength"]
    prefix = next(p for p in DOC["paths"]["/api/places"]["get"]["parameters"] if p["name"] == "prefix")
    assert place == prefix["schema"]["maxLength"] == params.MAX_NAME_CHARS


@pytest.mark.parametrize("parameter", [p for p in params.SEARCH_PARAMETERS if p.option],
                         ids=lambda p: p.name)
def test_the_search_command_offers_the_parameter_as_the_table_says(parameter):
    from manage import search_command
    found = {opt: o for o in search_command.params for opt in [*o.opts]}
    option = found[parameter.option if parameter.option != "QUERY" else "query"]
    choices = getattr(option.type, "choices", None)
    if parameter.choices and not option.is_flag:
        assert list(choices) == list(parameter.choices)
    assert option.multiple == (parameter.repeatable and not option.is_flag)


def test_documented_expand_default_matches_params():
    assert search_parameter("expand")["schema"] == {"type": "boolean",
                                                    "default": params.SearchParams().expand}


def test_documented_facets_match_params():
    schema = search_parameter("facets")["schema"]
    assert (schema["items"]["enum"], schema["default"]) == (list(params.FACETS),
                                                            list(params.DEFAULT_FACETS))


def test_documented_limits_match_params():
    assert search_parameter("q")["schema"]["maxLength"] == params.MAX_QUERY_CHARS
    assert search_parameter("page_size")["schema"]["maximum"] == params.MAX_PAGE_SIZE
    assert search_parameter("place")["schema"]["maxItems"] == params.MAX_PLACES
    for name in ("page", "page_size"):
        assert search_parameter(name)["x-max-result-window"] == params.MAX_RESULT_WINDOW


def test_documented_places_limit_matches_the_service():
    limit = next(p for p in DOC["paths"]["/api/places"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == MAX_PLACES_LIMIT


def test_documented_date_pattern_accepts_what_params_accepts():
    pattern = re.compile(DOC["components"]["schemas"]["DateParam"]["pattern"])
    for value in ("2021", "2021-04", "2021-04-06"):
        assert pattern.match(value) and params.day_range(value, "from")
    assert not pattern.match("06/04/2021")


@pytest.mark.parametrize("query", ["q=oil", "q=oil&group=article",
                                   "facets=place,country,year,month",
                                   "q=restoration&place=Baku&sort=newest", "q=zzzzzz",
                                   "q=the+who", "q=oil&match=any&expand=true"])
def test_search_responses_match_the_documented_schema(app, query):
    assert_valid(app.get(f"/api/search?{query}").json, "SearchResponse")


def test_article_response_matches_the_documented_schema(app):
    assert_valid(app.get("/api/articles/aghdam-1?q=restoration").json, "ArticleResponse")


def test_places_response_matches_the_documented_schema(app):
    assert_valid(app.get("/api/places?prefix=a").json, "PlacesResponse")


def test_status_response_matches_the_documented_schema(app):
    assert_valid(app.get("/api/status").json, "StatusResponse")


@pytest.mark.parametrize("path", ["/api/search?from=x", "/api/nothing", "/api/articles/none"])
def test_error_responses_match_the_documented_schema(app, path):
    assert_valid(app.get(path, expect_errors=True).json, "Error")


def test_no_index_response_matches_the_documented_schema(unbuilt_app):
    assert_valid(unbuilt_app.get("/api/search", expect_errors=True).json, "Error")


def test_every_error_code_a_client_can_get_is_documented():
    from search.web import errors, http_limits
    codes = ({kind.code for kind in errors.ERRORS.values() if kind.status != errors.CLIENT_CLOSED}
             | set(errors.FRAMEWORK_ERRORS.values()) | {code for _, _, code, _ in http_limits.REFUSALS.values()})
    documented = DOC["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert codes <= set(documented)
