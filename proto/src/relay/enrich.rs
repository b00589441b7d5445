//! The Lambda resource attributes added to every resource a function's SDK sent, for the
//! keys the SDK did not set itself: what the SDK says about itself always wins. Received
//! requests get them on the wire ([`super::wire::enrich`]); [`Enrichment::apply`] says the
//! same on a decoded resource, and is what the wire path is tested against.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;

use super::wire::Added;
use crate::otlp::resource_attributes;
use crate::resource::Resource;

/// The attributes to add, in OTLP form and encoded (both built once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enrichment {
    attributes: Vec<KeyValue>,
    added: Vec<Added>,
}

impl Enrichment {
    /// Adds every attribute of metricline's own resource.
    pub fn from_resource(resource: &Resource) -> Self {
        let attributes = resource_attributes(resource);
        let added = attributes.iter().map(Added::new).collect();
        Enrichment { attributes, added }
    }

    /// Adds nothing (`METRICLINE_OTLP_ENRICH=false`).
    pub fn none() -> Self {
        Enrichment::default()
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// The attributes encoded, for the wire path.
    pub(super) fn added(&self) -> &[Added] {
        &self.added
    }

    /// Adds the attributes whose keys `resource` lacks; a request without a resource gets one.
    pub fn apply(&self, resource: &mut Option<OtlpResource>) {
        if self.attributes.is_empty() {
            return;
        }
        let resource = resource.get_or_insert_with(OtlpResource::default);
        for attribute in &self.attributes {
            if !resource.attributes.iter().any(|a| a.key == attribute.key) {
                resource.attributes.push(attribute.clone());
            }
        }
    }
}
