"""Localised labels for the document context (en, es, pt-PT).

The templates are written one per language, so their fixed wording is
already translated; these tables translate the *values* that come from the
agreement (roles, lawful bases, stages, countries...); ``context_format.py``
looks them up and writes dates and durations. Plain strings: the renderer
escapes them.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "es", "pt")

# code -> (en, es, pt)
Labels = dict[str, tuple[str, str, str]]

PARTY_ROLES: Labels = {
    "controller": ("Controller", "Responsable del tratamiento", "Responsável pelo tratamento"),
    "joint_controller": (
        "Joint controller",
        "Corresponsable del tratamiento",
        "Responsável conjunto pelo tratamento",
    ),
    "processor": ("Processor", "Encargado del tratamiento", "Subcontratante"),
    "data_provider": ("Data provider", "Proveedor de datos", "Fornecedor de dados"),
    "data_recipient": ("Data recipient", "Destinatario de los datos", "Destinatário dos dados"),
}
ORGANIZATION_KINDS: Labels = {
    "municipality": ("Municipality", "Municipio", "Município"),
    "public_body": ("Public body", "Organismo público", "Entidade pública"),
    "company": ("Company", "Empresa", "Empresa"),
    "research": ("Research centre", "Centro de investigación", "Centro de investigação"),
    "ngo": (
        "Non-profit organisation",
        "Entidad sin ánimo de lucro",
        "Organização sem fins lucrativos",
    ),
}
SIGNATURE_LEVELS: Labels = {
    "simple": (
        "simple electronic signature",
        "firma electrónica simple",
        "assinatura eletrónica simples",
    ),
    "advanced": (
        "advanced or qualified electronic signature in the PDF (PAdES)",
        "firma electrónica avanzada o cualificada en el PDF (PAdES)",
        "assinatura eletrónica avançada ou qualificada no PDF (PAdES)",
    ),
}
SHARING_MODELS: Labels = {
    "B2G": (
        "Business-to-Government (B2G)",
        "De empresa a Administración (B2G)",
        "De empresa para a Administração Pública (B2G)",
    ),
    "G2B": (
        "Government-to-Business (G2B)",
        "De Administración a empresa (G2B)",
        "Da Administração Pública para empresa (G2B)",
    ),
    "G2G": (
        "Government-to-Government (G2G)",
        "Entre Administraciones públicas (G2G)",
        "Entre entidades públicas (G2G)",
    ),
    "B2B": ("Business-to-Business (B2B)", "Entre empresas (B2B)", "Entre empresas (B2B)"),
}
LAWFUL_BASES: Labels = {
    "consent": (
        "consent of the data subject",
        "consentimiento del interesado",
        "consentimento do titular dos dados",
    ),
    "contract": (
        "performance of a contract with the data subject",
        "ejecución de un contrato con el interesado",
        "execução de um contrato com o titular dos dados",
    ),
    "legal_obligation": (
        "compliance with a legal obligation",
        "cumplimiento de una obligación legal",
        "cumprimento de uma obrigação jurídica",
    ),
    "vital_interests": (
        "protection of vital interests",
        "protección de intereses vitales",
        "defesa de interesses vitais",
    ),
    "public_task": (
        "performance of a task carried out in the public interest or in the exercise of "
        "official authority",
        "cumplimiento de una misión realizada en interés público o en el ejercicio de "
        "poderes públicos",
        "exercício de funções de interesse público ou de autoridade pública",
    ),
    "legitimate_interests": (
        "legitimate interests",
        "interés legítimo",
        "interesses legítimos",
    ),
}
# Art. 6(1) point of each lawful basis, cited in each language's legal style.
LAWFUL_BASIS_POINT = {
    "consent": "a",
    "contract": "b",
    "legal_obligation": "c",
    "vital_interests": "d",
    "public_task": "e",
    "legitimate_interests": "f",
}
ART6_CITATION = (
    "Art. 6(1)({}) GDPR",
    "art. 6.1.{}) RGPD",
    "artigo 6.º, n.º 1, alínea {}), do RGPD",
)
DPIA_DECISIONS: Labels = {
    "required": (
        "a DPIA is required and must be completed before any personal data is shared",
        "se requiere una EIPD, que debe completarse antes de comunicar datos personales",
        "é necessária uma AIPD, a concluir antes de qualquer partilha de dados pessoais",
    ),
    "not_required": (
        "no DPIA is required: the sharing is unlikely to result in a high risk to data subjects",
        "no se requiere EIPD: no es probable que la comunicación entrañe un alto riesgo "
        "para los interesados",
        "não é necessária AIPD: não é provável que a partilha resulte num elevado risco "
        "para os titulares dos dados",
    ),
    "done": (
        "a DPIA has been carried out",
        "se ha realizado una EIPD",
        "foi realizada uma AIPD",
    ),
}
DELIVERIES: Labels = {
    "batch": ("Batch", "Por lotes", "Em lote"),
    "online": ("Online", "En línea", "Em linha"),
}
STAGES: Labels = {
    "exploratory": ("Exploratory", "Exploratoria", "Exploratória"),
    "preparatory": ("Preparatory", "Preparatoria", "Preparatória"),
    "implementation": ("Implementation", "Implementación", "Implementação"),
    "operational": ("Operational", "Operativa", "Operacional"),
    "scaling": ("Scaling", "Escalado", "Expansão"),
}
CANVAS_GROUPS: Labels = {
    "data_technical": ("Data and technical", "Datos y tecnología", "Dados e tecnologia"),
    "organisational": ("Organisational", "Organizativo", "Organizacional"),
    "shared_process": ("Shared process", "Proceso compartido", "Processo partilhado"),
}
CANVAS_SECTIONS: Labels = {
    "governance_model": ("Governance model", "Modelo de gobernanza", "Modelo de governação"),
    "implementation_model": (
        "Implementation model",
        "Modelo de implementación",
        "Modelo de implementação",
    ),
    "technical_infrastructure": (
        "Technical infrastructure",
        "Infraestructura técnica",
        "Infraestrutura técnica",
    ),
    "technical_concepts": (
        "Technical concepts / models (MIMs)",
        "Conceptos y modelos técnicos (MIM)",
        "Conceitos e modelos técnicos (MIM)",
    ),
    "key_partners": ("Key partners", "Socios clave", "Parceiros-chave"),
    "resources": ("Resources", "Recursos", "Recursos"),
    "business_case": ("Business case", "Caso de negocio", "Caso de negócio"),
    "shared_data_flow": (
        "Shared data flow",
        "Flujo de datos compartido",
        "Fluxo de dados partilhado",
    ),
    "data_sources": (
        "Data and data sources",
        "Datos y fuentes de datos",
        "Dados e fontes de dados",
    ),
    "context": ("Context", "Contexto", "Contexto"),
    "interoperability": ("Interoperability", "Interoperabilidad", "Interoperabilidade"),
    "added_value": ("Added value", "Valor añadido", "Valor acrescentado"),
    "motivation_objectives": (
        "Motivation and objectives",
        "Motivación y objetivos",
        "Motivação e objetivos",
    ),
}
# The OASC Minimal Interoperability Mechanisms a canvas may name.
MIMS: Labels = {
    "MIM1": (
        "Context information management",
        "Gestión de información de contexto",
        "Gestão de informação de contexto",
    ),
    "MIM2": ("Data models", "Modelos de datos", "Modelos de dados"),
    "MIM3": (
        "Contracts (ecosystem transactions management)",
        "Contratos (gestión de transacciones del ecosistema)",
        "Contratos (gestão de transações do ecossistema)",
    ),
    "MIM4": (
        "Trust (personal data management)",
        "Confianza (gestión de datos personales)",
        "Confiança (gestão de dados pessoais)",
    ),
    "MIM5": (
        "Transparency (fair and transparent AI)",
        "Transparencia (IA justa y transparente)",
        "Transparência (IA justa e transparente)",
    ),
    "MIM6": ("Security", "Seguridad", "Segurança"),
    "MIM7": (
        "Places (geospatial information management)",
        "Lugares (gestión de información geoespacial)",
        "Locais (gestão de informação geoespacial)",
    ),
}
COUNTRIES: Labels = {
    "PT": ("Portugal", "Portugal", "Portugal"),
    "ES": ("Spain", "España", "Espanha"),
    "FR": ("France", "Francia", "França"),
    "IT": ("Italy", "Italia", "Itália"),
    "DE": ("Germany", "Alemania", "Alemanha"),
    "NL": ("the Netherlands", "los Países Bajos", "os Países Baixos"),
    "BE": ("Belgium", "Bélgica", "Bélgica"),
    "IE": ("Ireland", "Irlanda", "Irlanda"),
    "GB": ("the United Kingdom", "el Reino Unido", "o Reino Unido"),
}
YES_NO: Labels = {"yes": ("Yes", "Sí", "Sim"), "no": ("No", "No", "Não")}
NOT_SET: tuple[str, str, str] = ("not yet set", "por determinar", "por determinar")
