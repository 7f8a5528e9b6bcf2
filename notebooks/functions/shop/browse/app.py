"""Browse: list the catalogue."""
CATALOG = {"tea": 4.0, "mug": 9.5, "kettle": 30.0, "teapot": 25.0}


def handler(event, context):
    return {"items": sorted(CATALOG)}
