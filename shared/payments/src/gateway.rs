//! [`ProviderGateway`]: the [`PaymentGateway`] port over the Stripe and PayPal clients.

use async_trait::async_trait;
use oms_application::ports::{PaymentGateway, ProviderError, ProviderPayment};
use oms_application::records::TenantProviders;
use oms_domain::order::PaymentMethod;

use crate::http::{ProviderHttp, ProviderSettings};
use crate::paypal::PaypalClient;
use crate::stripe::StripeClient;

/// Asks the tenant's configured provider about a transaction:
/// STRIPE ⇒ `providers.stripe`, PAYPAL ⇒ `providers.paypal`; CASH_ON_DELIVERY or no provider
/// configured for the method ⇒ `Ok(None)` (confirmOrder then relies on signed payment events
/// only).
#[derive(Debug)]
pub struct ProviderGateway {
    stripe: StripeClient,
    paypal: PaypalClient,
}

impl ProviderGateway {
    /// A gateway whose `https://` calls trust the operating system's root certificates.
    ///
    /// # Errors
    /// When no root certificate can be loaded.
    pub fn new(settings: ProviderSettings) -> Result<Self, ProviderError> {
        Ok(Self::from_http(ProviderHttp::new(settings)?))
    }

    /// A gateway whose `https://` calls trust exactly what `tls` trusts.
    pub fn with_tls_config(settings: ProviderSettings, tls: rustls::ClientConfig) -> Self {
        Self::from_http(ProviderHttp::with_tls_config(settings, tls))
    }

    /// Both clients over one shared transport (one connection pool).
    pub fn from_http(http: ProviderHttp) -> Self {
        ProviderGateway {
            stripe: StripeClient::new(http.clone()),
            paypal: PaypalClient::new(http),
        }
    }

    pub fn stripe(&self) -> &StripeClient {
        &self.stripe
    }

    pub fn paypal(&self) -> &PaypalClient {
        &self.paypal
    }
}

#[async_trait]
impl PaymentGateway for ProviderGateway {
    async fn fetch(
        &self,
        providers: &TenantProviders,
        method: PaymentMethod,
        transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        match method {
            PaymentMethod::CashOnDelivery => Ok(None),
            PaymentMethod::Stripe => match &providers.stripe {
                Some(stripe) => self.stripe.fetch_payment(stripe, transaction_id).await,
                None => Ok(None),
            },
            PaymentMethod::Paypal => match &providers.paypal {
                Some(paypal) => self.paypal.fetch_payment(paypal, transaction_id).await,
                None => Ok(None),
            },
        }
    }
}
