use async_trait::async_trait;
use oms_application::ports::{StoreFault, TenantRepository};
use oms_application::records::{TenantConfig, TenantSecrets};
use oms_domain::ids::TenantId;

use super::{fault, Repository};
use crate::codec::{base, from_body, to_body, BODY};
use crate::keys;
use oms_store::WriteOp;
use serde::Deserialize;

#[async_trait]
impl TenantRepository for Repository {
    async fn get_tenant_config(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<TenantConfig>, StoreFault> {
        if let Some(config) = self.cached_config(tenant) {
            return Ok(config);
        }
        let item = self
            .store
            .get(&keys::tenant_config(tenant), true)
            .await
            .map_err(fault)?;
        let config = item.map(|i| from_body::<TenantConfig>(&i)).transpose()?;
        self.remember_config(tenant, config.as_ref());
        Ok(config)
    }

    async fn put_tenant_config(&self, config: &TenantConfig) -> Result<(), StoreFault> {
        let mut item = base(&keys::tenant_config(&config.tenant), "TenantConfig");
        item.insert(BODY.into(), to_body(config)?);
        // The registry entry (for the hold sweep) is written with the configuration.
        let registry = base(&keys::tenant_registry(&config.tenant), "Tenant");
        self.store
            .transact_write(vec![
                WriteOp::Put { item, cond: None },
                WriteOp::Put {
                    item: registry,
                    cond: None,
                },
            ])
            .await
            .map_err(fault)?;
        self.remember_config(&config.tenant, Some(config));
        Ok(())
    }

    async fn get_tenant_secrets(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<TenantSecrets>, StoreFault> {
        let secrets = self
            .store
            .get(&keys::tenant_secrets(tenant), true)
            .await
            .map_err(fault)?;
        if let Some(item) = secrets {
            return Ok(Some(from_body::<TenantSecrets>(&item)?));
        }
        // Migration: a configuration stored before the split holds the secrets itself (read
        // here, not from the configuration cache, which keeps none).
        let config = self
            .store
            .get(&keys::tenant_config(tenant), true)
            .await
            .map_err(fault)?;
        config
            .map(|item| Ok(from_body::<LegacySecrets>(&item)?.into_secrets(tenant)))
            .transpose()
    }

    async fn put_tenant_secrets(&self, secrets: &TenantSecrets) -> Result<(), StoreFault> {
        let mut item = base(&keys::tenant_secrets(&secrets.tenant), "TenantSecrets");
        item.insert(BODY.into(), to_body(secrets)?);
        self.store.put(item, None).await.map_err(fault)
    }
}

/// The secrets of a configuration item stored before secrets had their own item.
#[derive(Deserialize)]
struct LegacySecrets {
    #[serde(default)]
    webhook_secrets: Vec<String>,
    #[serde(default)]
    events_secret: Option<String>,
    #[serde(default)]
    stripe: Option<LegacyProvider>,
    #[serde(default)]
    paypal: Option<LegacyProvider>,
}

#[derive(Deserialize)]
struct LegacyProvider {
    credentials: String,
}

impl LegacySecrets {
    fn into_secrets(self, tenant: &TenantId) -> TenantSecrets {
        TenantSecrets {
            tenant: tenant.clone(),
            webhook_secrets: self.webhook_secrets,
            events_secret: self.events_secret,
            stripe: self.stripe.map(|p| p.credentials),
            paypal: self.paypal.map(|p| p.credentials),
        }
    }
}
