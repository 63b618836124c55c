"""Places: the offline gazetteer that finds the places a text names and resolves each to one
canonical place. `tables` builds what it knows, `matching` finds and resolves names, `entries`
holds the data both pass around. Must not import Whoosh or anything under search/.
"""
from index.places.entries import ArticlePlaces, Place, PlaceMention
from index.places.matching import Gazetteer, dateline_place_text
from index.places.spelling import title_case_capitals
from index.places.tables import DATA_DIR, read_list, read_table

__all__ = ["ArticlePlaces", "DATA_DIR", "Gazetteer", "Place", "PlaceMention", "dateline_place_text",
           "read_list", "read_table", "title_case_capitals"]
