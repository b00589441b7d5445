//! The Lambda resource attributes added to every resource a function's SDK sent, for the
//! keys the SDK did not set itself: what the SDK says about itself always wins.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;

use crate::otlp::resource_attributes;
use crate::resource::Resource;

/// The attributes to add, in OTLP form (built once, cloned per resource).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enrichment {
    attributes: Vec<KeyValue>,
}

impl Enrichment {
    /// Adds every attribute of metricline's own resource.
    pub fn from_resource(resource: &Resource) -> Self {
        Enrichment {
            attributes: resource_attributes(resource),
        }
    }

    /// Adds nothing (`METRICLINE_OTLP_ENRICH=false`).
    pub fn none() -> Self {
        Enrichment::default()
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
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
