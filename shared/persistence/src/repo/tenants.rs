use async_trait::async_trait;
use oms_application::ports::{StoreFault, TenantRepository};
use oms_application::records::TenantConfig;
use oms_domain::ids::TenantId;

use super::{fault, Repository};
use crate::codec::{base, from_body, to_body, BODY};
use crate::keys;
use oms_store::WriteOp;

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
}
