"""Address search on AWS: an Amazon Location Service place index
(app/services/maps/geocoding.py).

Esri's data, for single use: a detective's search results are shown and never stored, which is
what single-use pricing and Esri's terms ask (storing results needs IntendedUse "Storage").
Only the web role may search it, and only by text (web.py).
"""

from __future__ import annotations

from aws_cdk import aws_location as location
from constructs import Construct

from infra.cdk.stages import Stage


class PlaceIndex(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.index = location.CfnPlaceIndex(
            self, "Index",
            index_name=f"{stage.prefix}places",
            data_source="Esri",
            data_source_configuration=location.CfnPlaceIndex.DataSourceConfigurationProperty(
                intended_use="SingleUse"),
            description=f"Porchlight {stage.name}: detectives' address search on the incident map",
        )
        self.name = self.index.index_name
        self.arn = self.index.attr_arn
