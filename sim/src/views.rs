//! Keys, groups and jobs as the API shows them (§4), in the configured dialect.

use crate::acl::AclEntry;
use crate::dialect::Dialect;
use crate::store::{rfc3339, GroupRecord, JobRecord, JobState, KeyRecord, ACCOUNT};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// A key as the API shows it; with `drop_inferred` the [I] fields are left out.
pub struct KeyView<'a> {
    pub key: &'a KeyRecord,
    pub group: &'a GroupRecord,
    pub drop_inferred: bool,
}

struct SapParam<'a>(&'a KeyView<'a>);
struct KeystoreContext(bool);
struct Meta<'a>(&'a KeyRecord, bool);

impl Serialize for KeyView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let k = self.key;
        let mut st = s.serialize_struct("Key", 12)?;
        st.serialize_field("id", &k.id)?;
        st.serialize_field("uri", &format!("kylo:kylo:cckm:sap-key:{}", k.id))?;
        st.serialize_field("account", ACCOUNT)?;
        st.serialize_field("createdAt", &rfc3339(k.created_ns))?;
        st.serialize_field("updatedAt", &rfc3339(k.updated_ns))?;
        st.serialize_field("cloud_name", &k.cloud_name)?;
        st.serialize_field("tenant", &k.tenant)?;
        if !self.drop_inferred {
            st.serialize_field("name", &k.name)?;
            st.serialize_field("gone", &k.gone)?;
        }
        st.serialize_field("sap_param", &SapParam(self))?;
        if !self.drop_inferred {
            st.serialize_field("sap_group_name", &self.group.name)?;
        }
        st.end()
    }
}

impl Serialize for SapParam<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let k = self.0.key;
        let mut st = s.serialize_struct("SapParam", 10)?;
        st.serialize_field("description", &k.description)?;
        st.serialize_field("enabled", &k.enabled)?;
        st.serialize_field("exportable", &k.exportable)?;
        st.serialize_field("groupId", &self.0.group.group_id)?;
        st.serialize_field("sap_key_id", &k.sap_key_id)?;
        st.serialize_field("keystoreContext", &KeystoreContext(k.customer_held))?;
        if !self.0.drop_inferred {
            st.serialize_field("type", &k.key_type)?;
            st.serialize_field("size", &k.size)?;
        }
        st.serialize_field("meta", &Meta(k, self.0.drop_inferred))?;
        st.end()
    }
}

impl Serialize for KeystoreContext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("KeystoreContext", 1)?;
        st.serialize_field("customerHeld", &self.0)?;
        st.end()
    }
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Meta", 3)?;
        st.serialize_field("created", &self.0.meta_created)?;
        st.serialize_field("creatorName", &self.0.creator_name)?;
        if !self.1 {
            st.serialize_field("totalVersions", &self.0.total_versions)?;
        }
        st.end()
    }
}

/// A group as the API shows it; `acls` [S] only when the reader is an administrator.
pub struct GroupView<'a> {
    pub group: &'a GroupRecord,
    pub acls: bool,
}

impl Serialize for GroupView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.group;
        let mut st = s.serialize_struct("Group", 12)?;
        st.serialize_field("id", &g.id)?;
        st.serialize_field("uri", &format!("kylo:kylo:cckm:sap-group:{}", g.id))?;
        st.serialize_field("account", ACCOUNT)?;
        st.serialize_field("createdAt", &rfc3339(g.created_ns))?;
        st.serialize_field("updatedAt", &rfc3339(g.updated_ns))?;
        st.serialize_field("name", &g.name)?;
        st.serialize_field("group_id", &g.group_id)?;
        st.serialize_field("sap_application", &g.sap_application)?;
        st.serialize_field("keystore_id", &g.keystore_id)?;
        st.serialize_field("connection", &g.connection)?;
        st.serialize_field("cloud_name", &g.cloud_name)?;
        if self.acls {
            let acls: &[AclEntry] = &g.acls;
            st.serialize_field("acls", acls)?;
        }
        st.end()
    }
}

/// A job as the API shows it: the seed's 13 fields with the dialect's state word, plus the
/// dialect's failure field only on failure.
pub struct JobView<'a> {
    pub job: &'a JobRecord,
    pub dialect: &'a Dialect,
}

impl Serialize for JobView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let j = self.job;
        let mut st = s.serialize_struct("Job", 14)?;
        st.serialize_field("id", &j.id)?;
        st.serialize_field("uri", &format!("kylo:kylo:cckm:sap_job:{}", j.id))?;
        st.serialize_field("account", ACCOUNT)?;
        st.serialize_field("createdAt", &rfc3339(j.created_ns))?;
        st.serialize_field("updatedAt", &rfc3339(j.updated_ns))?;
        st.serialize_field("cckm_key_id", &j.cckm_key_id)?;
        st.serialize_field("group_id", &j.group_id)?;
        st.serialize_field("job_id", &j.job_id)?;
        st.serialize_field("key_id", &j.key_id)?;
        st.serialize_field("operation", &j.operation)?;
        st.serialize_field("creator_id", &j.creator_id)?;
        st.serialize_field("creator_name", &j.creator_name)?;
        st.serialize_field("state", self.dialect.state_word(j.state, j.operation))?;
        if j.state == JobState::Failed {
            if let Some(e) = &j.error_details {
                st.serialize_field(self.dialect.failure_field.name(), e)?;
            }
        }
        st.end()
    }
}
